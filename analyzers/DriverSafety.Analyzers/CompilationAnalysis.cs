using System;
using System.Collections.Generic;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Rules;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers
{
    /// <summary>Per-compilation state: the contracts read so far and the summaries inferred so far.</summary>
    internal sealed class CompilationAnalysis
    {
        private readonly ContractProvider _contracts;
        private readonly SummaryStore _summaries;
        private readonly WholeProgram.WholeProgramFacts _facts;

        public CompilationAnalysis(Compilation compilation, KnownSymbols known, int maxCallDepth = Contracts.ContextContracts.DefaultMaxCallDepth)
        {
            _contracts = new ContractProvider(compilation, known);
            _contracts.Context.MaxCallDepth = maxCallDepth;
            _summaries = new SummaryStore(_contracts);
            _facts = new WholeProgram.WholeProgramFacts(compilation, _contracts, _summaries);
        }

        /// <summary>How many methods have a summary so far, and how many summary walks of bodies it took (for the benchmarks).</summary>
        internal (int Methods, int Walks) SummaryCounts => (_summaries.Count, _summaries.Walks);

        /// <summary>The methods whose summaries were inferred so far (for the benchmarks).</summary>
        internal IReadOnlyList<IMethodSymbol> SummarisedMethods => _summaries.Summarised.ToList();

        /// <summary>The facts only the whole compilation decides (the lock-order graph), as accumulated so far.</summary>
        internal WholeProgram.WholeProgramFacts Facts => _facts;

        /// <summary>At compilation end, the whole-program rules read the facts every body's walk accumulated.</summary>
        public void AnalyzeWholeProgram(CompilationAnalysisContext context)
        {
            foreach (var rule in WholeProgram.WholeProgramRules.All)
            {
                rule.Report(_facts, context.ReportDiagnostic, context.CancellationToken);
            }
        }

        public void AnalyzeAnnotations(SymbolAnalysisContext context) =>
            AnnotationRules.Report(context.Symbol, _contracts, context.ReportDiagnostic);

        /// <summary>An external annotations file: its malformed lines (DRV9005), and the DRV9001/DRV9002 of its good ones, at their lines.</summary>
        public void AnalyzeAnnotationsFile(AdditionalFileAnalysisContext context) =>
            AnnotationRules.ReportFile(context.AdditionalFile.Path, _contracts, context.ReportDiagnostic, context.CancellationToken);

        /// <summary>Analyses the executable body of one member (with its lambdas and local functions) and reports its diagnostics.</summary>
        public void AnalyzeBodies(OperationBlockAnalysisContext context)
        {
            if (context.OwningSymbol is not IMethodSymbol method)
            {
                return;
            }

            if (Root(context) is not { } body)
            {
                return;
            }

            var contract = _contracts.ForMethod(method);
            if (contract.IsTrusted)
            {
                // [NoAnalysis], and the primitives' own implementation (Mutex.Lock on top of Monitor): trusted, as Clang's NO_THREAD_SAFETY_ANALYSIS.
                return;
            }

            var cfg = _summaries.GraphOf(body.Root.Syntax, () => context.GetControlFlowGraph(body.Block));
            if (cfg is null)
            {
                return;
            }

            Analyze(cfg, method, body.Root.Syntax, context.ReportDiagnostic, context.CancellationToken);
        }

        /// <summary>Runs the engine over one body with every rule family observing; returns the engine for its statistics.</summary>
        internal FlowEngine Analyze(ControlFlowGraph cfg, IMethodSymbol method, SyntaxNode bodySyntax, Action<Diagnostic> report, System.Threading.CancellationToken cancellation)
        {
            var contract = _contracts.ForMethod(method);
            var reported = new HashSet<(string, Location, string)>();
            var diagnostics = new List<Diagnostic>();
            var summaries = _summaries.For(cancellation);
            var rules = RuleFamilies.Observers(_contracts, summaries, _facts, d =>
            {
                if (reported.Add((d.Id, d.Location, d.GetMessage())))
                {
                    diagnostics.Add(d);
                }
            });

            var engine = new FlowEngine(_contracts, summaries, rules, cancellation);
            engine.AnalyzeBody(cfg, new BodyContext(method, contract, bodySyntax));
            if (!engine.Truncated)
            {
                foreach (var diagnostic in diagnostics)
                {
                    report(diagnostic);
                }
            }

            return engine;
        }

        /// <summary>
        /// <c>driversafety.max_call_depth</c>: how many calls deep sleeps are followed through bodies (default 16), from the
        /// global options or, failing that, the options of the compilation's first file.
        /// </summary>
        public static int MaxCallDepth(AnalyzerConfigOptionsProvider options, Compilation compilation)
        {
            const string key = "driversafety.max_call_depth";
            if (!options.GlobalOptions.TryGetValue(key, out var text) &&
                !(compilation.SyntaxTrees.FirstOrDefault() is { } tree && options.GetOptions(tree).TryGetValue(key, out text)))
            {
                return Contracts.ContextContracts.DefaultMaxCallDepth;
            }

            return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var depth) && depth > 0
                ? depth
                : Contracts.ContextContracts.DefaultMaxCallDepth;
        }

        /// <summary>The operation block that is an executable body: a method or constructor body, or an accessor's expression body.</summary>
        private static (IOperation Block, IOperation Root)? Root(OperationBlockAnalysisContext context)
        {
            foreach (var operation in context.OperationBlocks)
            {
                var root = operation;
                while (root.Parent is not null)
                {
                    root = root.Parent;
                }

                if (root is IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation)
                {
                    return (operation, root);
                }
            }

            return null;
        }
    }
}
