print("edge-ledger")
