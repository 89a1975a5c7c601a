"""NumPy and pandas entry point: rolling alpha and beta of the columns of a 2-D array.

:func:`rolling_alpha_beta` takes a (T, N) array of asset returns (one column per asset) and a
(T,) market return, and returns (T, N) arrays. It lays the columns out as one long Polars frame
with an integer key and runs :func:`polars_alpha.rolling_alpha_beta` with ``by=`` on it, so the
columns are computed in parallel in Rust and the numbers are exactly the Polars path's.
:func:`rolling_alpha_beta_frame` is a thin wrapper for wide pandas DataFrames.
"""

from __future__ import annotations

import importlib
from numbers import Real
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from polars_alpha import _validate, regression
from polars_alpha._internal import FIT_FIELDS

__all__ = ["RollingFit", "rolling_alpha_beta", "rolling_alpha_beta_frame"]

#: The float fields of a fit: every field of the struct but the count ``n``.
_FLOAT_FIELDS = tuple(name for name in FIT_FIELDS if name != "n")


class RollingFit(NamedTuple):
    """The rolling CAPM fit of every column: arrays shaped like the input ``Y``.

    The float fields are float64 with NaN where the Polars result is null; ``n`` is int64
    and never missing.
    """

    alpha: npt.NDArray[np.float64]
    beta: npt.NDArray[np.float64]
    r2: npt.NDArray[np.float64]
    resid_std: npt.NDArray[np.float64]
    alpha_se: npt.NDArray[np.float64]
    beta_se: npt.NDArray[np.float64]
    alpha_t: npt.NDArray[np.float64]
    beta_t: npt.NDArray[np.float64]
    n: npt.NDArray[np.int64]


def rolling_alpha_beta(
    Y: npt.ArrayLike,  # noqa: N803 - the matrix of returns, as in the literature
    x: npt.ArrayLike,
    *,
    window: int | None = 252,
    min_periods: int | None = None,
    risk_free: float | npt.ArrayLike | None = None,
) -> RollingFit:
    """Rolling CAPM alpha and beta of each column of ``Y`` on the market ``x``.

    Parameters
    ----------
    Y
        Asset returns, shape (T, N): row ``t`` is period ``t``, column ``j`` is asset ``j``.
        A 1-D array of length T is one asset. Integer or float dtype; NaN is a missing value.
    x
        Market returns, shape (T,).
    window
        Rows in each fit (at least 2), or ``None`` for an expanding fit over all rows so far.
    min_periods
        Fewest usable rows a fit needs; defaults to ``window`` (2 for an expanding fit).
    risk_free
        Per-period risk-free rate: a number or an array of shape (T,), subtracted from both
        returns. ``None`` means zero.

    Returns
    -------
    RollingFit
        A named tuple of arrays with the shape of ``Y``: ``alpha, beta, r2, resid_std,
        alpha_se, beta_se, alpha_t, beta_t`` (float64) and ``n`` (int64, the rows used).

    Notes
    -----
    The result is exactly :func:`polars_alpha.rolling_alpha_beta` run on each column (the
    same kernel, bit for bit): the columns are laid out asset after asset in one long frame
    (``np.ravel(Y, order="F")`` with an integer key and ``x`` tiled) and fitted with
    ``by=`` the key, in parallel in Rust, then reshaped back.

    Missing values: a row whose asset, market or risk-free value is NaN or infinite is left
    out of that asset's fits, as nulls are in Polars. Where the Polars result is null (fewer
    than ``min_periods`` usable rows, a constant market, ...) the arrays hold NaN.

    Raises ``ValueError`` when shapes disagree (naming ``Y``, ``x`` or ``risk_free``) and
    ``TypeError`` for a non-numeric dtype or a masked array (fill it with NaN first);
    ``window`` and ``min_periods`` are checked as in the Polars function.

    Examples
    --------
    >>> import numpy as np
    >>> from polars_alpha.numpy import rolling_alpha_beta
    >>> x = np.array([0.008, -0.002, 0.010, 0.001, -0.006])
    >>> Y = np.column_stack([1.5 * x + 0.001, -0.5 * x])
    >>> Y[1, 1] = np.nan
    >>> fit = rolling_alpha_beta(Y, x, window=3, min_periods=2)
    >>> fit.beta.round(3)
    array([[ nan,  nan],
           [ 1.5,  nan],
           [ 1.5, -0.5],
           [ 1.5, -0.5],
           [ 1.5, -0.5]])
    >>> fit.n
    array([[1, 1],
           [2, 1],
           [3, 2],
           [3, 2],
           [3, 3]])
    """
    _validate.rows_only(window, why="the NumPy entry point has no dates, so no duration windows")
    y = _validate.returns_matrix(Y)
    one_column = y.ndim == 1
    y2 = y.reshape(-1, 1) if one_column else y
    periods, assets = y2.shape
    market = _validate.series_of_length(x, "x", periods, y.shape)

    rate: float | str | None = None
    columns: dict[str, Any] = {
        "key": np.repeat(np.arange(assets, dtype=np.uint32), periods),
        "y": np.ravel(y2, order="F"),
        "x": np.tile(market, assets),
    }
    if risk_free is not None:
        if isinstance(risk_free, Real) and not isinstance(risk_free, bool):
            rate = float(risk_free)  # checked with the expression's other arguments
        else:
            rf = _validate.series_of_length(risk_free, "risk_free", periods, y.shape, number=True)
            columns["rf"] = np.tile(rf, assets)
            rate = "rf"

    # Build the expression first: it validates window and min_periods before any work.
    fit = regression.rolling_alpha_beta(
        "y",
        "x",
        window=window,
        min_periods=min_periods,
        risk_free=rate,
        by="key" if assets > 1 else None,
    )
    out = pl.DataFrame(columns).select(fit.alias("fit")).unnest("fit")

    def field(name: str, dtype: type[np.floating[Any]] | type[np.integer[Any]]) -> Any:
        values = out.get_column(name).to_numpy().astype(dtype, copy=False)
        shaped = values.reshape((periods, assets), order="F")
        return shaped[:, 0].copy() if one_column else shaped

    floats = {name: field(name, np.float64) for name in _FLOAT_FIELDS}
    return RollingFit(**floats, n=field("n", np.int64))


def rolling_alpha_beta_frame(
    frame: Any,
    market: Any,
    *,
    window: int | None = 252,
    min_periods: int | None = None,
    risk_free: Any = None,
) -> Any:
    """Rolling alpha and beta of every column of a wide pandas DataFrame.

    Parameters
    ----------
    frame
        A pandas DataFrame of returns, one column per asset, indexed by date.
    market
        The market's returns: a pandas Series (aligned to ``frame``'s index; dates it lacks
        are missing) or the name of a column of ``frame`` (then not fitted as an asset).
    window
        Rows in each fit, or ``None`` for an expanding fit.
    min_periods
        Fewest usable rows a fit needs; defaults to ``window``.
    risk_free
        Per-period risk-free rate: a number, a pandas Series (aligned to the index) or the
        name of a column of ``frame`` (then not fitted as an asset).

    Returns
    -------
    pandas.DataFrame
        The same index, with two-level columns ``(field, asset)``: ``result["beta"]`` is
        the wide frame of betas, ``result["alpha"]["AAPL"]`` one asset's alphas. Fields as
        in :func:`rolling_alpha_beta`; ``n`` is int64.

    Notes
    -----
    A thin layer over :func:`rolling_alpha_beta`: the frame's values go to NumPy as float64
    (missing values become NaN, left out of the fits) and come back with the index and
    column names. Rows are taken in the frame's order, not sorted by the index. A column
    that is not numeric (booleans and datetimes included) raises ``TypeError`` naming it.
    pandas is optional: it is imported when this function is called.

    Examples
    --------
    >>> import pandas as pd
    >>> from polars_alpha.numpy import rolling_alpha_beta_frame
    >>> returns = pd.DataFrame(
    ...     {
    ...         "AAA": [0.012, -0.003, 0.015, 0.002, -0.008],
    ...         "BBB": [0.004, -0.001, 0.005, 0.000, -0.003],
    ...         "market": [0.008, -0.002, 0.010, 0.001, -0.006],
    ...     },
    ...     index=pd.date_range("2024-01-01", periods=5, name="date"),
    ... )
    >>> fit = rolling_alpha_beta_frame(returns, "market", window=3)
    >>> fit["beta"].round(3)  # doctest: +NORMALIZE_WHITESPACE
                  AAA    BBB
    date
    2024-01-01    NaN    NaN
    2024-01-02    NaN    NaN
    2024-01-03  1.500  0.500
    2024-01-04  1.487  0.513
    2024-01-05  1.438  0.503
    """
    try:
        pd = importlib.import_module("pandas")
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "rolling_alpha_beta_frame needs pandas: pip install pandas"
        raise ImportError(msg) from None
    frame = _validate.pandas_frame(frame)
    assets = list(frame.columns)

    def series(value: Any, argument: str) -> Any:
        """A column of ``frame`` by name (no longer an asset), or a Series aligned to it."""
        if isinstance(value, str):
            column = _validate.pandas_column(frame, value, argument)
            assets.remove(value)
            return column
        return _validate.pandas_series(value, argument).reindex(frame.index)

    market_values = series(market, "market")
    rf = risk_free
    if isinstance(risk_free, (str, pd.Series)):
        rf = series(risk_free, "risk_free").to_numpy(dtype=np.float64, na_value=np.nan)
    for asset in assets:
        _validate.pandas_numeric(frame[asset], f"column {asset!r} of `frame`")
    values = frame[assets].to_numpy(dtype=np.float64, na_value=np.nan)
    fit = rolling_alpha_beta(
        values,
        market_values.to_numpy(dtype=np.float64, na_value=np.nan),
        window=window,
        min_periods=min_periods,
        risk_free=rf,
    )
    parts = {
        name: pd.DataFrame(getattr(fit, name), index=frame.index, columns=assets)
        for name in RollingFit._fields
    }
    return pd.concat(parts, axis=1, names=["field", frame.columns.name])
