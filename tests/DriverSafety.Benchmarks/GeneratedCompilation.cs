using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverSafety.Benchmarks;

/// <summary>
/// A generated corpus (<see cref="DriverCorpus"/>) as one compilation, referencing the sample driver as a compiled
/// assembly (its source is compiled once per process and emitted to memory), as a driver built against the port's
/// core would.
/// </summary>
public static class GeneratedCompilation
{
    private static readonly Lazy<MetadataReference> LazySampleDriver = new(EmitSampleDriver);

    /// <summary>The sample driver, compiled from its current sources and emitted to memory.</summary>
    public static MetadataReference SampleDriver => LazySampleDriver.Value;

    public static CSharpCompilation Create(DriverCorpus.Corpus corpus)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = corpus.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parseOptions, Path.Combine("/generated", f.Name)));
        return CSharpCompilation.Create(
            "Generated",
            trees,
            DriverSafety.Tests.Verification.TestReferences.Framework.Add(DriverSafety.Tests.Verification.TestReferences.Annotations).Add(SampleDriver),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    private static MetadataReference EmitSampleDriver()
    {
        var source = SampleDriverSource.Load();
        using var image = new MemoryStream();
        var result = source.Compilation.Emit(image);
        if (!result.Success)
        {
            throw new InvalidOperationException("The sample driver does not compile:\n" +
                string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }

        return MetadataReference.CreateFromImage(image.ToArray());
    }
}
