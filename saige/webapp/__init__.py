"""The Streamlit script `saige serve` runs, shipped inside the package (see saige_app.py).

It sits alone in this folder because `streamlit run` puts the script's folder on sys.path: nothing else
here can shadow another module.
"""
