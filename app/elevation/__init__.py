"""The trial transaction: the (elevated) helper process, its launchers and the channel between them."""
