"""The local captioning server: the hosted video-captioner API, served from this machine."""
