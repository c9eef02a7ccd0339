// Intentionally empty: SwiftPM needs one C file to build the CZlibShims target; everything is in the header.
