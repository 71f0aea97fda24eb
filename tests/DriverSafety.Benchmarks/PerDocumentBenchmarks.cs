using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks;

/// <summary>
/// One document's diagnostics, as an editor host asks for them to draw squiggles: syntax and semantic analyzer
/// diagnostics of one syntax tree (<c>GetAnalyzerSyntaxDiagnosticsAsync</c> + <c>GetAnalyzerSemanticDiagnosticsAsync</c>
/// with no span filter) on a fresh <see cref="CompilationWithAnalyzers"/>, as after an edit: the document's bodies are
/// bound and walked, and the summaries of the callees they reach in other documents are inferred on demand. Two
/// documents: the sample driver's largest file, and the largest file of the 200,000-line generated corpus (whose
/// callees reach into other files). "Binding+CFG only" is the same request with an analyzer that only builds the CFGs.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(HarnessConfig))]
public class PerDocumentBenchmarks
{
    public enum DocumentKind
    {
        SampleDriverLargest,
        Generated200kLargest,
    }

    [ParamsAllValues]
    public DocumentKind Document { get; set; }

    private CSharpCompilation _compilation = null!;
    private SyntaxTree _tree = null!;

    [GlobalSetup]
    public void SetUp()
    {
        if (Document == DocumentKind.SampleDriverLargest)
        {
            _compilation = SampleDriverSource.Load().Compilation;
            _tree = Largest(_compilation);
        }
        else
        {
            var corpus = DriverCorpus.Generate(200_000);
            _compilation = GeneratedCompilation.Create(corpus);
            _tree = _compilation.SyntaxTrees.Single(t => Path.GetFileName(t.FilePath) == corpus.LargestFile.Name);
        }

        Console.WriteLine($"// {Document}: {Path.GetFileName(_tree.FilePath)}, {_tree.GetText().Lines.Count} lines, of {_compilation.SyntaxTrees.Count()} files");
    }

    [Benchmark(Baseline = true, Description = "DriverSafety, one document")]
    public int DriverSafety() => OneDocument(new DriverSafetyAnalyzer());

    [Benchmark(Description = "Binding+CFG only, one document")]
    public int BindingAndCfgOnly() => OneDocument(new BindingAndCfgAnalyzer());

    /// <summary>The largest tree by lines, ties broken by path.</summary>
    public static SyntaxTree Largest(Compilation compilation) =>
        compilation.SyntaxTrees.OrderByDescending(t => t.GetText().Lines.Count).ThenBy(t => t.FilePath, StringComparer.Ordinal).First();

    private int OneDocument(DiagnosticAnalyzer analyzer)
    {
        var withAnalyzers = _compilation.WithAnalyzers(ImmutableArray.Create(analyzer));
        var model = withAnalyzers.Compilation.GetSemanticModel(_tree);
        var syntax = withAnalyzers.GetAnalyzerSyntaxDiagnosticsAsync(_tree, CancellationToken.None).GetAwaiter().GetResult();
        var semantic = withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, null, CancellationToken.None).GetAwaiter().GetResult();
        return syntax.Length + semantic.Length;
    }
}
