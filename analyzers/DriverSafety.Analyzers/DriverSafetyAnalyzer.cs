using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Analyzers
{
    /// <summary>
    /// The one entry point: at compilation start it resolves the DriverSafety attribute symbols (and stops at once if
    /// the compilation does not reference them); then every executable body is analysed once by the flow engine,
    /// with every rule family observing that one walk.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class DriverSafetyAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.GuardedMemberWithoutLock,
            Descriptors.RequiredLockNotHeld,
            Descriptors.LockNotReleased,
            Descriptors.ReleaseOfLockNotHeld,
            Descriptors.LockAcquiredTwice,
            Descriptors.ExcludedLockHeld,
            Descriptors.LockOrderInversion,
            Descriptors.AllocationRecursesIntoReclaim,
            Descriptors.LockHeldOnSomePaths,
            Descriptors.NestedLocksOfOneClass,
            Descriptors.MethodBreaksLockContract,
            Descriptors.IrqSafeLockWithIrqsEnabled,
            Descriptors.SleepInAtomicContext,
            Descriptors.CallNeedsIrqsEnabled,
            Descriptors.UnbalancedContext,
            Descriptors.AllocationFlagsUnknown,
            Descriptors.PublicMemberMaySleep,
            Descriptors.SuppressionWithoutJustification,
            Descriptors.ResourceNotEnded,
            Descriptors.ResourceBegunTwice,
            Descriptors.EndDoesNotMatchBegin,
            Descriptors.EndWithoutBegin,
            Descriptors.RequiredStateNotEstablished,
            Descriptors.LockReleasedWhileResourceDepends,
            Descriptors.NoReassignAssigned,
            Descriptors.MappingUsedBeforeCheck,
            Descriptors.AnnotationDoesNotResolve,
            Descriptors.AnnotationMisapplied,
            Descriptors.ExternalAnnotationMalformed);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var known = KnownSymbols.TryCreate(start.Compilation, start.Options.AdditionalFiles, start.CancellationToken);
                if (known is null)
                {
                    return;
                }

                var analysis = new CompilationAnalysis(start.Compilation, known, CompilationAnalysis.MaxCallDepth(start.Options.AnalyzerConfigOptionsProvider, start.Compilation));
                start.RegisterOperationBlockAction(analysis.AnalyzeBodies);
                start.RegisterSyntaxTreeAction(Rules.SuppressionRules.AnalyzeTree);
                start.RegisterSyntaxNodeAction(Rules.SuppressionRules.AnalyzeAttribute, Microsoft.CodeAnalysis.CSharp.SyntaxKind.Attribute);
                start.RegisterSymbolAction(analysis.AnalyzeAnnotations, SymbolKind.Method, SymbolKind.Field, SymbolKind.Property, SymbolKind.NamedType);
                if (!known.Annotations.Files.IsEmpty)
                {
                    // DRV9005 and the DRV9001/DRV9002 of file lines, at the lines of each external annotations file.
                    start.RegisterAdditionalFileAction(analysis.AnalyzeAnnotationsFile);
                }

                if (!WholeProgram.WholeProgramRules.All.IsEmpty)
                {
                    // Only whole-program facts wait for the end of the compilation; everything else is live per body.
                    start.RegisterCompilationEndAction(analysis.AnalyzeWholeProgram);
                }
            });
        }
    }
}
