using System.Collections.Generic;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>LORA019: a constant data file that is not among the project folder's files.</summary>
public static class DataFileValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(IEnumerable<DataFileReference> files, ProjectFolder? folder)
    {
        if (folder is null) yield break;
        foreach (var file in files)
            if (folder.Contains(file.Path) == false)
                yield return new DiagnosticInfo(DiagnosticDescriptors.DataFileMissing, file.Location, [file.Path, folder.Directory]);
    }
}
