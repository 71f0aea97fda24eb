using System.Collections.Immutable;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// A plain compilation and one direct run of <see cref="DriverSafetyAnalyzer"/>, for the checks the test framework does
/// not make: determinism, robustness on broken code, engine-step bounds and the sample driver. Rule and code-fix tests
/// use <see cref="Verify"/>.
/// </summary>
public static class AnalyzerRun
{
    /// <summary>C# latest, as in the rule tests.</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>A parsed document.</summary>
    public static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: path);

    /// <summary>The prelude's annotated lock types as a document.</summary>
    public static SyntaxTree Prelude() => Parse(Verification.Prelude.Source, Verification.Prelude.FileName);

    /// <summary>A library (nullable enabled) of <paramref name="trees"/> referencing the SDK's reference assemblies and DriverSafety.Annotations.</summary>
    public static CSharpCompilation Compile(string assemblyName, IEnumerable<SyntaxTree> trees) =>
        CSharpCompilation.Create(
            assemblyName,
            trees,
            TestReferences.Framework.Add(TestReferences.Annotations),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>The analyzer's diagnostics on <paramref name="compilation"/> (concurrent analysis, as in a build) and every exception it threw.</summary>
    public static Task<(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<string> Exceptions)> AnalyzeAsync(Compilation compilation) =>
        AnalyzeAsync(compilation, ImmutableArray<AdditionalText>.Empty);

    /// <summary>As <see cref="AnalyzeAsync(Compilation)"/>, with <paramref name="additionalFiles"/> as the project's AdditionalFiles.</summary>
    public static async Task<(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<string> Exceptions)> AnalyzeAsync(Compilation compilation, ImmutableArray<AdditionalText> additionalFiles)
    {
        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(additionalFiles),
            onAnalyzerException: (exception, _, _) =>
            {
                lock (exceptions)
                {
                    exceptions.Add(exception.GetType().Name + ": " + exception.Message);
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new DriverSafetyAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync().ConfigureAwait(false);
        lock (exceptions)
        {
            exceptions.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.GetMessage()));
            return (diagnostics.Where(d => d.Id != "AD0001").ToImmutableArray(), exceptions.ToList());
        }
    }
}
