"""The Qt-free core: video, windows, prompts, engine, pipeline, track and formats."""
