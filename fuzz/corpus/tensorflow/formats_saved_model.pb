HF

xPlaceholder


wConst

yMatMul


f
pEagerPyFunc