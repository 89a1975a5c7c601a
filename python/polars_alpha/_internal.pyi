# The compiled module holds the plugin's expression functions, which Polars loads by symbol
# name through polars_alpha._plugin; from Python it exposes only the build's version.
__version__: str
