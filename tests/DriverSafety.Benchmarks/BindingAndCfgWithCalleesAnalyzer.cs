using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks;

// Run in process by the per-document benchmark only: the rules for shipped compiler extensions do not apply to it, and it
// binds other trees' bodies on purpose, as DriverSafety's summaries do.
#pragma warning disable RS1030, RS1036, RS1038, RS1041, RS2008

/// <summary>
/// The floor under one document's request when its analysis needs callee summaries: <see cref="BindingAndCfgAnalyzer"/>
/// for the document's bodies, plus binding and building the CFG of every callee body in other documents that
/// DriverSafety's summaries for that document reach (the set recorded from a DriverSafety run, passed in). Any analyzer
/// that infers those summaries from bodies pays at least this; DriverSafety's own cost is what it adds.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BindingAndCfgWithCalleesAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Unused = new(
        "BENCH0002", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    private readonly ImmutableArray<SyntaxNode> _callees;

    public BindingAndCfgWithCalleesAnalyzer(ImmutableArray<SyntaxNode> callees) => _callees = callees;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Unused);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(BindingAndCfgAnalyzer.BuildGraph);
        context.RegisterSemanticModelAction(model =>
        {
            foreach (var declaration in _callees)
            {
                // The compilation's semantic model of the callee's tree, as DriverSafety's summaries ask for it.
                _ = ExecutableBody.Graph(model.SemanticModel.Compilation.GetSemanticModel(declaration.SyntaxTree).GetOperation(declaration, model.CancellationToken));
            }
        });
    }
}
#pragma warning restore RS1030, RS1036, RS1038, RS1041, RS2008
