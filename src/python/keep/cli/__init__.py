"""`keep`, the command-line client: encrypts on this machine, the server stores ciphertext."""
