"""The border: where records from other nodes enter, each verified, deduplicated and audited."""
