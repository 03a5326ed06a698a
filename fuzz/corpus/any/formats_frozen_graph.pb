

xPlaceholder


wConst

yMatMul"°	