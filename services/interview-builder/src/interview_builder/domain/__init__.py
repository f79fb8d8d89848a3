"""Pure interview-builder logic: setup slot filling, the question bank and interview generation."""
