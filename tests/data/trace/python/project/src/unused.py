import localpkg  # never imported by anything
