"""edXML (QCVN 102:2016/BTTTT) file drops: documents in a folder in, documents written out."""
