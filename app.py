"""Saige's Streamlit app from a source checkout: `streamlit run app.py` (or `saige serve`).

A shim: the script `saige serve` runs ships inside the package (saige/webapp/saige_app.py); the UI lives in
saige/ui.
"""

from saige.ui.main import main

main()
