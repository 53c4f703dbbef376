__version__ = "0.1.0"   # RunRecord.version; tests check that the library says the same
