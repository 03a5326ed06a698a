#pragma once
// The converters of the registry (registry.cpp); each is defined in its own file of this folder.
#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam::converters {

const ConverterDescriptor& None();
const ConverterDescriptor& Base64();
const ConverterDescriptor& Rot13();
const ConverterDescriptor& Leetspeak();
const ConverterDescriptor& UnicodeTags();
const ConverterDescriptor& Homoglyphs();
const ConverterDescriptor& PayloadSplit();
const ConverterDescriptor& MarkdownWrap();
const ConverterDescriptor& HtmlWrap();
const ConverterDescriptor& TranslateFrench();
const ConverterDescriptor& TranslateSpanish();
const ConverterDescriptor& TranslateGerman();

}  // namespace modelguard::redteam::converters
