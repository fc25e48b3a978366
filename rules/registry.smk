rule registry_search:
    output:
        "results/registry/studies.json",
    log:
        "logs/registry_search.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        day=SEARCH_DAY,
        source=registry_source(),
    script:
        "../scripts/registry_search.py"


rule registrations:
    input:
        "results/registry/studies.json",
    output:
        "results/data/registrations.jsonl",
    log:
        "logs/registrations.log",
    conda:
        "../envs/livescreen.yaml"
    params:
        settings=classification_settings(),
    script:
        "../scripts/registrations.py"
