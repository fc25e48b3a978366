# Citation chasing (config `citations:`, README "Europe PMC and citation chasing"): forward
# and backward from the essay's resolved references, the highlighted records and the PMIDs
# linked to highlighted registrations, one level by default; the records found (those PubMed
# holds) fetched through PubMed's fetch machinery and classified.


rule citations:
    input:
        references="results/references/essay_references.json",
        classified="results/data/classified.jsonl",
        # highlighted registrations: the PMIDs linked to them are seeds too
        registrations="results/data/registrations.jsonl",
    output:
        "results/citations/chased.json",
    log:
        "logs/citations.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        # a new day chases again: new citing records appear
        day=SEARCH_DAY,
        source=citation_source(),
    script:
        "../scripts/citations.py"


rule citation_records:
    input:
        chased="results/citations/chased.json",
        # PubMed's searches: records whose PMID they found too are marked
        pubmed=search_results,
    output:
        records="results/data/citation_records.jsonl",
        fetched="results/citations/fetched.json",
    log:
        "logs/citation_records.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        day=SEARCH_DAY,
        store=STORE,
        source=pubmed_source(),
    script:
        "../scripts/citation_records.py"


rule classify_citations:
    input:
        "results/data/citation_records.jsonl",
    output:
        "results/data/citation_classified.jsonl",
    log:
        "logs/classify_citations.log",
    conda:
        "../envs/livescreen.yaml"
    threads: 2
    params:
        # the same classifier and settings as PubMed's records (rules/classify.smk)
        settings=classification_settings(),
        cache="results/data/classify_cache_citations.sqlite",
    script:
        "../scripts/classify.py"
