using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks.EmptyAnalyzer
{
    /// <summary>
    /// Registers a compilation-start action that registers nothing: what any analyzer costs a build before it does
    /// any work of its own (the analyzer driver's fixed cost), the floor DriverSafety is measured against.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class EmptyAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Rule = new DiagnosticDescriptor(
            "EMPTY0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
#pragma warning disable RS1012 // The point: a start action that registers nothing, the analyzer driver's fixed cost alone.
            context.RegisterCompilationStartAction(_ => { });
#pragma warning restore RS1012
        }
    }
}
