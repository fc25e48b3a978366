"""livescreen: a living systematic-review screening pipeline.

The data's way through the package, one module per step:
config -> search -> fetch -> pubmed_xml (parse) -> dedup -> tables.
`eutils` is the one NCBI client every step uses; `snapshot` stands in for it offline.
"""

__version__ = "0.1.0"
