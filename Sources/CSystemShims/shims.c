// Intentionally empty: SwiftPM needs one C file to build the CSystemShims target; everything is in the header.
