"""Fetch a model into the hub cache (resumable, with a progress bar), safetensors only.

huggingface_hub (2.x) writes each file to a temporary name unique to the process and deletes it when
the download fails, so an interrupted download would start again from zero. Here every file goes to
``blobs/<etag>.part`` in the hub cache and a later run continues it with an HTTP Range request; once
every blob is there, ``snapshot_download`` adds the snapshot links and refs exactly as it always does.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from captioner_app.core.errors import CaptionerError, ModelError

# the files a model folder needs (safetensors only: never pickled .bin weights)
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "tokenizer*"]


def hub_offline() -> bool:
    """True when the environment forbids contacting the model hub (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE)."""
    return any(
        os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def download_model(
    model: str,
    revision: str | None = None,
    cache_dir: str | None = None,
    *,
    endpoint: str | None = None,
    tqdm_class: Any = None,
) -> Path:
    """Download ``model`` (a hub id) and return the local snapshot folder.

    Interrupted downloads resume where they stopped: partial files stay in the cache as
    ``blobs/<etag>.part``. ``endpoint`` defaults to ``$HF_ENDPOINT``; ``tqdm_class`` gets one
    byte bar for the whole download (the GUI passes one that reports progress and cancels).
    """
    if Path(model).expanduser().is_dir():
        return Path(model).expanduser()
    if model.count("/") != 1:
        raise ModelError(f"model {model!r} is not a hub id like allenai/Molmo2-4B")
    import httpx2
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        return _fetch(model, revision, cache_dir, endpoint, tqdm_class)
    except CaptionerError:
        raise
    except RevisionNotFoundError:
        raise ModelError(f"model {model} has no revision {revision!r}") from None
    except GatedRepoError:
        raise ModelError(f"model {model} needs a hub login with access granted") from None
    except RepositoryNotFoundError:
        raise ModelError(f"model {model} does not exist on the hub (check the spelling)") from None
    except (OSError, httpx2.HTTPError) as err:  # after huggingface_hub's own retries
        raise ModelError(
            f"model {model} cannot be downloaded ({describe_failure(err)}); partial files are kept "
            "and the next try resumes"
        ) from None


def _fetch(model: str, revision: str | None, cache_dir: str | None, endpoint: str | None, tqdm_class: Any) -> Path:
    import httpx2
    from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_url, snapshot_download
    from huggingface_hub.file_download import repo_folder_name
    from huggingface_hub.hf_api import RepoFile
    from huggingface_hub.utils import OfflineModeIsEnabled, filter_repo_objects
    from huggingface_hub.utils import tqdm as hf_tqdm
    from tqdm.auto import tqdm as base_tqdm

    api = HfApi(endpoint=endpoint)
    root = Path(cache_dir or constants.HF_HUB_CACHE).expanduser().resolve()
    try:
        commit = api.model_info(model, revision=revision).sha
    except (httpx2.ConnectError, httpx2.TimeoutException, OfflineModeIsEnabled):
        # No hub: a complete snapshot already in the cache is the answer, as snapshot_download gives it
        return Path(
            snapshot_download(
                repo_id=model, revision=revision, cache_dir=str(root), endpoint=endpoint, allow_patterns=ALLOW_PATTERNS
            )
        )
    if not commit:
        raise ModelError(f"model {model}: the hub did not say which commit {revision or 'main'} is")
    files = [f for f in api.list_repo_tree(model, recursive=True, revision=commit) if isinstance(f, RepoFile)]
    wanted = list(filter_repo_objects(files, allow_patterns=ALLOW_PATTERNS, key=lambda f: f.path))
    storage = root / repo_folder_name(repo_id=model, repo_type="model")
    snapshot = storage / "snapshots" / commit
    blobs = storage / "blobs"
    todo: list[tuple[str, str, Any]] = []  # (path in repo, its address, HfFileMetadata) of the missing blobs
    for f in wanted:
        if (snapshot / f.path).exists():
            continue
        url = hf_hub_url(model, f.path, revision=commit, endpoint=endpoint)
        meta = get_hf_file_metadata(url, endpoint=endpoint)
        if meta.etag is None or not (blobs / meta.etag).exists():
            todo.append((f.path, url, meta))
    if todo:
        blobs.mkdir(parents=True, exist_ok=True)
        total = sum(meta.size or 0 for _, _, meta in todo)
        initial = sum(_part(blobs, m.etag).stat().st_size for _, _, m in todo if _part(blobs, m.etag).exists())
        bar_class = tqdm_class or hf_tqdm
        bar = bar_class(
            total=total,
            initial=min(initial, total),
            unit="B",
            unit_scale=True,
            desc=f"Downloading {model}",
            **({} if tqdm_class else {"disable": None}),
        )
        try:
            for path, url, meta in todo:
                _fetch_blob(model, path, url, meta, blobs, root / ".locks" / storage.name, bar)
        finally:
            bar.close()

    class _Quiet(base_tqdm):  # the files are all here: no second bar for the links
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return Path(
        snapshot_download(
            repo_id=model,
            revision=revision,
            cache_dir=str(root),
            endpoint=endpoint,
            allow_patterns=ALLOW_PATTERNS,
            tqdm_class=_Quiet,
        )
    )


def _part(blobs: Path, etag: str | None) -> Path:
    return blobs / f"{etag}.part"


def _fetch_blob(model: str, path: str, url: str, meta: Any, blobs: Path, locks: Path, bar: Any) -> None:
    """Download one file into ``blobs/<etag>``, continuing ``blobs/<etag>.part`` if an earlier run left one."""
    from urllib.parse import urlsplit

    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import WeakFileLock, build_hf_headers

    if meta.etag is None:
        raise ModelError(f"model {model}: the hub gave no ETag for {path}")
    blob, part = blobs / meta.etag, _part(blobs, meta.etag)
    locks.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(locks / f"{meta.etag}.lock"):  # the lock huggingface_hub itself takes for this blob
        if blob.exists():  # another process finished it meanwhile
            return
        resume = part.stat().st_size if part.exists() else 0
        if meta.size is not None and resume > meta.size:
            part.unlink()
            resume = 0
        headers = build_hf_headers()
        headers["Accept-Encoding"] = "identity"  # byte ranges of the file itself, never of a compressed body
        if urlsplit(meta.location).netloc != urlsplit(url).netloc:
            headers.pop("authorization", None)  # a signed CDN address: the token stays with the hub

        class _IntoBar:  # http_get's per-file bar, folded into the one bar for the whole download
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                pass

            def __enter__(self) -> _IntoBar:
                return self

            def __exit__(self, *exc: object) -> None:
                pass

            def update(self, n: float | None = 1) -> None:
                bar.update(n)

        with part.open("ab") as out:
            http_get(
                meta.location,
                out,
                resume_size=resume,
                headers=headers,
                expected_size=meta.size,
                displayed_filename=path,
                tqdm_class=_IntoBar,
            )
        if resume and _SHA256.match(meta.etag) and _sha256(part) != meta.etag:
            part.unlink()
            raise ModelError(
                f"model {model}: {path} did not match its checksum after resuming; the partial file "
                "is deleted, download again"
            )
        os.replace(part, blob)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_failure(err: BaseException) -> str:
    """A short cause: offline mode, no connection, or the error's own first sentence."""

    if hub_offline():
        return "offline mode is on: HF_HUB_OFFLINE is set"
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return f"the hub answered {status} {getattr(response, 'reason_phrase', '') or ''}".rstrip()
    text = " ".join(" ".join(str(e).split()) for e in chain)
    if any(
        word in text
        for word in ("ConnectError", "Name or service not known", "ConnectionError", "Connection refused", "timed out")
    ):
        return "the hub cannot be reached: no network connection"
    first = " ".join(str(err).split()).split(". ")[0]
    return first[:160] or type(err).__name__
