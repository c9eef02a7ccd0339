// Intentionally empty: SwiftPM needs one C file to build the COpenSSLShims target; everything is in the header.
