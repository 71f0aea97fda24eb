using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Benchmarks;

// A fixture run in-process by the harness only, never loaded by a compiler: the rules for shipped compiler extensions
// (netstandard2.0, no Workspaces reference, release tracking, extended rules) do not apply to it.
#pragma warning disable RS1036, RS1038, RS1041, RS2008

/// <summary>
/// The floor under every flow analyzer: asks for the operation tree and the control-flow graph of each executable
/// body, as DriverSafety does, and does nothing with them. Its time is binding plus CFG construction.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BindingAndCfgAnalyzer : DiagnosticAnalyzer
{
    // A warning, though never reported: a command-line compiler does not run an analyzer whose every diagnostic is
    // Hidden, so with Hidden here the build configuration `cfg` measured an analyzer that never ran.
    private static readonly DiagnosticDescriptor Unused = new(
        "BENCH0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Unused);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(BuildGraph);
    }

    /// <summary>Builds the control-flow graph of the block's executable body, as DriverSafety's body action asks for it.</summary>
    public static void BuildGraph(OperationBlockAnalysisContext block)
    {
        foreach (var operation in block.OperationBlocks)
        {
            var root = operation;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            if (root is IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation)
            {
                _ = block.GetControlFlowGraph(operation);
                return;
            }
        }
    }
}
#pragma warning restore RS1036, RS1038, RS1041, RS2008
