"""Fetch a model into the hub cache (resumable, with a progress bar), safetensors only."""

from __future__ import annotations

from pathlib import Path

from captioner_app.core.errors import ModelError


def download_model(model: str, revision: str | None = None, cache_dir: str | None = None) -> Path:
    """Download ``model`` (a hub id) and return the local snapshot folder.

    Interrupted downloads resume where they stopped: the hub client keeps partial files.
    """
    if Path(model).expanduser().is_dir():
        return Path(model).expanduser()
    if model.count("/") != 1:
        raise ModelError(f"model {model!r} is not a hub id like allenai/Molmo2-4B")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    from captioner_app.core.engine.molmo import ALLOW_PATTERNS

    try:
        return Path(snapshot_download(repo_id=model, revision=revision, cache_dir=cache_dir,
                                      allow_patterns=ALLOW_PATTERNS))
    except RevisionNotFoundError:
        raise ModelError(f"model {model} has no revision {revision!r}") from None
    except GatedRepoError:
        raise ModelError(f"model {model} needs a hub login with access granted") from None
    except RepositoryNotFoundError:
        raise ModelError(f"model {model} does not exist on the hub (check the spelling)") from None
    except OSError as err:
        raise ModelError(f"model {model} cannot be downloaded ({describe_failure(err)}); partial files are kept "
                         "and the next try resumes") from None


def describe_failure(err: BaseException) -> str:
    """A short cause: offline mode, no connection, or the error's own first sentence."""
    import os

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return "offline mode is on: HF_HUB_OFFLINE is set"
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(" ".join(str(e).split()) for e in chain)
    if any(word in text for word in ("ConnectError", "Name or service not known", "ConnectionError",
                                     "Connection refused", "timed out")):
        return "the hub cannot be reached: no network connection"
    first = " ".join(str(err).split()).split(". ")[0]
    return first[:160] or type(err).__name__
