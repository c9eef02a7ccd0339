// Intentionally empty: SwiftPM needs one C file to build the CPostgresShims target; everything is in the header.
