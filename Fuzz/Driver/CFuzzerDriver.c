// The declaration in include/ is the whole of this target; libFuzzer provides the definition.
