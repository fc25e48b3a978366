# Europe PMC (config `europepmc:`, README "Europe PMC and citation chasing"): each keyword's
# PubMed query translated and searched, preprints included; the records merged, one per
# Europe PMC id, and classified like PubMed's.


# every keyword in one job, as `search` (rules/search.smk)
rule europepmc_search:
    output:
        expand("results/europepmc/{keyword}.json", keyword=KEYWORDS),
    log:
        expand("logs/europepmc/{keyword}.log", keyword=KEYWORDS),
    conda:
        "../envs/livescreen.yaml"
    params:
        # a new day searches again, as `search` does
        day=SEARCH_DAY,
        queries=search_queries(),
        source=europepmc_source(),
        workers=NETWORK_WORKERS,
    script:
        "../scripts/europepmc_search.py"


rule europepmc_records:
    input:
        searches=europepmc_results,
        # PubMed's searches: records whose PMID they found too are marked
        pubmed=search_results,
    output:
        records="results/data/europepmc.jsonl",
        summary="results/data/europepmc.json",
    log:
        "logs/europepmc_records.log",
    conda:
        "../envs/livescreen.yaml"
    script:
        "../scripts/europepmc_records.py"


rule classify_europepmc:
    input:
        "results/data/europepmc.jsonl",
    output:
        "results/data/europepmc_classified.jsonl",
    log:
        "logs/classify_europepmc.log",
    conda:
        "../envs/livescreen.yaml"
    threads: 2
    params:
        # the same classifier and settings as PubMed's records (rules/classify.smk)
        settings=classification_settings(),
        cache="results/data/classify_cache_europepmc.sqlite",
    script:
        "../scripts/classify.py"
