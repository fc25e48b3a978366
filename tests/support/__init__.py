"""Test support: the loopback stand-ins for NCBI E-utilities and ClinicalTrials.gov."""
