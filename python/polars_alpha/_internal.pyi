# The compiled module holds the plugin's expression functions, which Polars loads by symbol
# name through polars_alpha._plugin. From Python it exposes the build's version and the names
# of the fields of the structs the plugin returns, which are defined once, in Rust.

__version__: str

#: The fields of a single-index (CAPM) fit, in struct order:
#: alpha, beta, r2, resid_std, alpha_se, beta_se, alpha_t, beta_t, n.
FIT_FIELDS: tuple[str, ...]

#: Fields a rolling single-index fit returns only when named in ``fields=``, after ``n``:
#: fitted, resid.
ENDPOINT_FIELDS: tuple[str, ...]

def factor_fields(factor_names: list[str]) -> list[str]:
    """The fields of a multi-factor fit on factors named ``factor_names``, in struct order:
    alpha, beta_<f>..., r2, adj_r2, resid_std, alpha_se, beta_<f>_se..., alpha_t,
    beta_<f>_t..., n."""

#: The largest per-period risk-free rate the fits accept (a fraction, 0.05 is 5% a period).
MAX_PER_PERIOD_RATE: float

HUGE_PAGES_VAR: str

def huge_pages() -> bool:
    """Whether output columns are advised onto huge pages in this process: on Linux, unless
    the environment variable ``HUGE_PAGES_VAR`` was ``0``, ``false``, ``off`` or ``no`` when
    it was first read."""
