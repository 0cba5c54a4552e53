"""Saige's Streamlit app: `saige serve` starts it (or `streamlit run app.py`). The UI lives in saige/ui."""

from saige.ui.main import main

main()
