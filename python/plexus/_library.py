"""Loading libPlexusC.so (the C ABI over PlexusSession, Sources/PlexusC/plexus.h) with ctypes."""
import ctypes
import os
from pathlib import Path

NAME = "libPlexusC.so"

PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_double, ctypes.c_void_p)


def _candidates():
    """Where the library may be: $PLEXUS_LIBRARY, beside this package (pip install), then the
    source tree's release and debug builds (python/ used in place, PYTHONPATH=python)."""
    if os.environ.get("PLEXUS_LIBRARY"):
        yield Path(os.environ["PLEXUS_LIBRARY"])
    here = Path(__file__).resolve().parent
    yield here / NAME
    root = here.parent.parent
    for config in ("release", "debug"):
        yield root / ".build" / config / NAME


def _load():
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            break
    else:
        raise ImportError("plexus: the native library libPlexusC.so was not found (looked in: " + ", ".join(tried) + "). "
                          "Install the package with `pip install ./python`, or build it in the source tree with "
                          "`swift build -c release --product PlexusC`, or set PLEXUS_LIBRARY to its path.")
    vp, cp, i64, i32 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int64, ctypes.c_int32
    lib.plexus_version.restype = cp
    lib.plexus_version.argtypes = []
    lib.plexus_run.restype = vp
    lib.plexus_run.argtypes = [cp, cp, cp, i32, ctypes.c_uint64, i32, i32, PROGRESS, vp]
    lib.plexus_open.restype = vp
    lib.plexus_open.argtypes = [cp, cp, cp, i32, ctypes.c_uint64, i32, i32]
    lib.plexus_advance.restype = vp
    lib.plexus_advance.argtypes = [vp, ctypes.c_double, PROGRESS, vp]
    lib.plexus_set.restype = vp
    lib.plexus_set.argtypes = [vp, cp, cp, i64, i64]
    lib.plexus_state.restype = vp
    lib.plexus_state.argtypes = [vp, cp, cp]
    lib.plexus_snapshot.restype = vp
    lib.plexus_snapshot.argtypes = [vp, i32]
    lib.plexus_finish.restype = vp
    lib.plexus_finish.argtypes = [vp]
    lib.plexus_point_model.restype = vp
    lib.plexus_point_model.argtypes = [cp]
    lib.plexus_point_models.restype = vp
    lib.plexus_point_models.argtypes = []
    lib.plexus_install.restype = vp
    lib.plexus_install.argtypes = [cp]
    lib.plexus_load.restype = vp
    lib.plexus_load.argtypes = [cp, cp]
    for name in ("plexus_error", "plexus_directory", "plexus_text"):
        getattr(lib, name).restype = cp
        getattr(lib, name).argtypes = [vp]
    lib.plexus_array_count.restype = i64
    lib.plexus_array_count.argtypes = [vp]
    lib.plexus_array_name.restype = cp
    lib.plexus_array_name.argtypes = [vp, i64]
    lib.plexus_array_kind.restype = i32
    lib.plexus_array_kind.argtypes = [vp, i64]
    lib.plexus_array_shape.restype = i64
    lib.plexus_array_shape.argtypes = [vp, i64, ctypes.POINTER(i64), i64]
    lib.plexus_array_data.restype = vp
    lib.plexus_array_data.argtypes = [vp, i64]
    lib.plexus_free.restype = None
    lib.plexus_free.argtypes = [vp]
    return lib, path


lib, path = _load()
