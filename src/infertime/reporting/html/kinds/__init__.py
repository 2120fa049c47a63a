"""Per-kind report sections: figures and the tables of the numbers they draw, from results."""
