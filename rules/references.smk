rule references:
    input:
        config["references"],
    output:
        table="results/references/essay_references.csv",
        data="results/references/essay_references.json",
    log:
        "logs/references.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        source=pubmed_source(),
        title_match=config["essay_title_match"]["match"],
    script:
        "../scripts/references.py"
