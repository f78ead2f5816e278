print("leafwatch")
