"""``mocksy practice``: practise a Mocksy interview from a terminal."""
