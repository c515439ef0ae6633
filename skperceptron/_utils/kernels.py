"""numba, loaded when a fit needs it: ``jit``, ``compiled`` and ``select``.

``jit`` marks a function for numba when it is installed (the ``[fast]`` extra;
``SKPERCEPTRON_NO_NUMBA=1`` switches it off) and leaves it as plain Python otherwise.
numba itself is imported only when ``compiled`` says a fit needs it: importing it and
loading its cached loops takes longer than a small fit. Every compiled loop of the
package is written so that both give the same results, bit for bit: deterministic
arithmetic in a fixed order, with scalars passed in the arrays' own dtype so that
float32 stays float32 in both worlds; so where a fit switches changes no result.
"""

import functools
import importlib.util
import os
import sys

import numpy as np

#: Whether the compiled loops are available: numba installed (the ``[fast]`` extra) and
#: not switched off; ``compiled`` imports it.
HAVE_NUMBA = (not os.environ.get("SKPERCEPTRON_NO_NUMBA")
              and importlib.util.find_spec("numba") is not None)

#: Every function given to ``jit`` before numba was loaded.
_KERNELS = []
_numba_jit = None  # numba.njit with this package's options, once numba is loaded


class _Kernel:
    """A function for numba, compiled once numba is loaded (``compiled``).

    Until then it runs as plain Python (the numpy form of a rule, or a rule on
    numbers, which compute the same). Loading numba gives each kernel its numba
    dispatcher (``_load_numba``), whose own compilation (or load from numba's on-disk
    cache) happens per kernel at its first call: a fit loads only the loops it runs.
    """

    def __init__(self, function):
        functools.update_wrapper(self, function)
        self.py_func = function
        self.dispatcher = None
        _KERNELS.append(self)

    def __call__(self, *args):
        return (self.py_func if self.dispatcher is None else self.dispatcher)(*args)


def jit(function):
    """``function`` compiled by numba when it is available, else as it is.

    error_model="numpy": division follows IEEE (inf/nan) as numpy does, so that a
    diverging fit gives the same infinities compiled and in plain Python rather than a
    ZeroDivisionError in the middle of a loop.
    """
    if not HAVE_NUMBA:
        return function
    if _numba_jit is not None:
        return _numba_jit(function)
    return _Kernel(function)


#: Plain-Python stand-ins for numba intrinsics, by name (``placeholder``).
_PLACEHOLDERS = {}


def placeholder(name):
    """Decorator: the function stands in, in plain Python, for the numba intrinsic
    ``name`` of ``_intrinsics``, which replaces it once numba is loaded."""

    def register(function):
        _PLACEHOLDERS[name] = function
        return function

    return register


def _load_numba():
    """Import numba, define the intrinsics and ``select``'s compiled form, and put each
    kernel's dispatcher (and each intrinsic) wherever the package's modules name the
    kernel (or its stand-in), so that compiled loops calling each other find numba
    functions."""
    global _numba_jit
    if _numba_jit is not None:
        return
    import numba

    swaps = {id(_PLACEHOLDERS[name]): intrinsic for name, intrinsic in _intrinsics().items()}
    _compile_select()
    _numba_jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    for kernel in _KERNELS:
        kernel.dispatcher = _numba_jit(kernel.py_func)
        swaps[id(kernel)] = kernel.dispatcher
    for name, module in list(sys.modules.items()):
        if module is not None and (name == "skperceptron" or name.startswith("skperceptron.")):
            for attribute, value in list(vars(module).items()):
                if id(value) in swaps:
                    setattr(module, attribute, swaps[id(value)])


def compiled(size=None):
    """Whether to run a compiled loop on ``size`` values (None: a loop without a numpy
    form, such as the per-sample loops) rather than its numpy form, which gives the
    same results bit for bit; True loads numba if it is not yet.

    Loading numba and the loops a fit runs takes a few hundred milliseconds, against
    a few for a small fit (an MLP on iris) in numpy. So the numpy forms run first, and
    numba is loaded once the time they have taken in the process, as estimated from
    their sizes (``NUMPY_STEP_SECONDS``), reaches ``NUMPY_BUDGET_SECONDS``: a small
    fit never loads it, a long one loses at most that budget. The estimate counts
    calls and sizes, never clocks, so a given script switches at the same call on
    every run (and the results do not depend on where it switches).
    """
    global _numpy_seconds
    if not HAVE_NUMBA:
        return False
    if _numba_jit is None:
        if size is not None:
            _numpy_seconds += NUMPY_STEP_SECONDS[0] + NUMPY_STEP_SECONDS[1] * size
            if _numpy_seconds < NUMPY_BUDGET_SECONDS:
                return False
        _load_numba()
    return True


#: The time of a numpy form, per call and per value (an Adam step on 1,000 and 10,000
#: weights: 14 and 53 microseconds on a 2-core Linux machine, against 1.7 and 9.4
#: compiled), and the numpy time after which numba is loaded.
NUMPY_STEP_SECONDS = (1.0e-5, 4.5e-9)
NUMPY_BUDGET_SECONDS = 0.1
_numpy_seconds = 0.0


def _intrinsics():
    """The numba intrinsics, by name: prefetches that ask the processor to load a row
    (``prefetch``) or an item (``prefetch_item``) ahead."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    def emit_prefetch(builder, address):
        """A prefetch of the byte at ``address``: read access, keep in all cache levels."""
        byte = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte, int32, int32, int32]),
            "llvm.prefetch.p0i8",
        )
        builder.call(prefetch, [builder.bitcast(address, byte), int32(0), int32(3), int32(1)])

    def item_pointer(context, builder, signature, args, index):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        return cgutils.get_item_pointer(
            context, builder, array_type, array, index, wraparound=False
        )

    @intrinsic
    def prefetch(typingctx, rows, i, offset):
        """Ask the processor to start loading byte ``offset`` of row ``i`` of ``rows``."""

        def codegen(context, builder, signature, args):
            zero = context.get_constant(types.intp, 0)
            start = item_pointer(context, builder, signature, args, [args[1], zero])
            byte = ir.IntType(8).as_pointer()
            emit_prefetch(builder, builder.gep(builder.bitcast(start, byte), [args[2]]))
            return context.get_dummy_value()

        return types.void(rows, i, offset), codegen

    @intrinsic
    def prefetch_item(typingctx, array, i):
        """Ask the processor to start loading the cache line of ``array[i]`` (1-d)."""

        def codegen(context, builder, signature, args):
            emit_prefetch(builder, item_pointer(context, builder, signature, args, [args[1]]))
            return context.get_dummy_value()

        return types.void(array, i), codegen

    return {"prefetch": prefetch, "prefetch_item": prefetch_item}


def select(condition, if_true, if_false):
    """``np.where(condition, if_true, if_false)``, which compiled code also takes on
    numbers: there a branch, where ``np.where`` would make a 0-d array per call (two
    orders of magnitude slower in a loop over weights). So a rule written with it
    serves numpy arrays and the compiled per-element loops alike."""
    return np.where(condition, if_true, if_false)


def _compile_select():
    """``select``'s compiled form: ``np.where`` on arrays, a branch on numbers."""
    from numba.core import types
    from numba.extending import overload

    @overload(select)
    def _select_compiled(condition, if_true, if_false):
        if isinstance(condition, types.Array):
            return lambda condition, if_true, if_false: np.where(condition, if_true,
                                                                 if_false)
        return lambda condition, if_true, if_false: if_true if condition else if_false


def plain(function):
    """The plain-Python form of a compiled rule, to apply it to whole numpy arrays."""
    return getattr(function, "py_func", function)

