"""The pinned corpus: manifest loading, `saige fetch` and `saige sources`."""
