

xPlaceholder


wConst

yMatMul

secretReadFile

out	WriteFile