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
/// callees reach into other files). "Binding+CFG only" is the same request with an analyzer that only builds the CFGs;
/// "with the callee bodies" adds binding and the CFGs of the bodies in other files that DriverSafety's summaries for the
/// document reach, which any analyzer inferring those summaries from bodies must pay.
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
    private ImmutableArray<SyntaxNode> _callees;

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

        _callees = CalleeBodies(_compilation, _tree);
        Console.WriteLine($"// {Document}: {Path.GetFileName(_tree.FilePath)}, {_tree.GetText().Lines.Count} lines, of {_compilation.SyntaxTrees.Count()} files; " +
            $"its summaries reach {_callees.Length} callee bodies in other files");
    }

    /// <summary>
    /// The declarations, outside <paramref name="tree"/>, of the methods DriverSafety summarises when it analyses that one
    /// document's bodies (recorded from the engine run on a separate copy of the compilation).
    /// </summary>
    public static ImmutableArray<SyntaxNode> CalleeBodies(Compilation compilation, SyntaxTree tree)
    {
        var copy = compilation.Clone();
        var analysis = new CompilationAnalysis(copy, ExecutableBody.Known(copy));
        foreach (var body in ExecutableBody.In(copy, new[] { tree }))
        {
            analysis.Analyze(body.Cfg, body.Method, body.Declaration, _ => { }, CancellationToken.None);
        }

        return analysis.SummarisedMethods
            .SelectMany(m => m.DeclaringSyntaxReferences)
            .Where(r => r.SyntaxTree != tree)
            .Select(r => r.GetSyntax())
            .OrderBy(n => n.SyntaxTree.FilePath, StringComparer.Ordinal).ThenBy(n => n.SpanStart)
            .ToImmutableArray();
    }

    [Benchmark(Baseline = true, Description = "DriverSafety, one document")]
    public int DriverSafety() => OneDocument(new DriverSafetyAnalyzer());

    [Benchmark(Description = "Binding+CFG only, one document")]
    public int BindingAndCfgOnly() => OneDocument(new BindingAndCfgAnalyzer());

    [Benchmark(Description = "Binding+CFG of the document and of the callee bodies its summaries reach")]
    public int BindingAndCfgWithCallees() => OneDocument(new BindingAndCfgWithCalleesAnalyzer(_callees));

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
