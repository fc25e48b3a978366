"""Parse: what the sources answer, read into livescreen's records.

- `pubmed_xml`: PubMed/MEDLINE XML (efetch answers, the bundled snapshot) -> records.
- `registrations`: ClinicalTrials.gov API v2 studies -> registrations, and their links to
  publications.
"""
