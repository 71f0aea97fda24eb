using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace DriverSafety.CodeFixes.Support
{
    /// <summary>
    /// Writing lock code: a lock expression bound where it is inserted, the lock type's own acquire and release methods
    /// (by their contracts), and the statements that call them.
    /// </summary>
    internal static class LockCode
    {
        /// <summary>
        /// Parses <paramref name="text"/> (a lock expression as the analyzer prints it: <c>_m</c>, <c>gem.Resv</c>) and binds
        /// it at <paramref name="position"/>. Null unless it is a path of fields, properties, locals and parameters.
        /// </summary>
        public static ExpressionSyntax? Bind(SemanticModel model, int position, string text, out ISymbol? symbol, out ITypeSymbol? type)
        {
            symbol = null;
            type = null;
            var expression = SyntaxFactory.ParseExpression(text);
            if (expression.ContainsDiagnostics || expression.ToString() != text || !IsPath(expression))
            {
                return null;
            }

            symbol = model.GetSpeculativeSymbolInfo(position, expression, SpeculativeBindingOption.BindAsExpression).Symbol;
            type = model.GetSpeculativeTypeInfo(position, expression, SpeculativeBindingOption.BindAsExpression).Type;
            return symbol is IFieldSymbol or IPropertySymbol or ILocalSymbol or IParameterSymbol && type is not null ? expression : null;
        }

        /// <summary><c>this</c>, an identifier, or a member access of such paths: no call, index or cast.</summary>
        public static bool IsPath(ExpressionSyntax expression) => expression switch
        {
            ThisExpressionSyntax => true,
            IdentifierNameSyntax => true,
            MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access => access.Name is IdentifierNameSyntax && IsPath(access.Expression),
            _ => false,
        };

        /// <summary>
        /// The lock type's method that acquires <c>this</c> exclusively and needs nothing else: no argument, no result, no
        /// guard, no IRQ state (<c>Mutex.Lock()</c>, <c>RwSemaphore.DownWrite()</c>); null for a try-only lock such as
        /// <c>DmaResv.Lock(ctx)</c>.
        /// </summary>
        public static IMethodSymbol? Acquire(ContractProvider contracts, SemanticModel model, int position, ITypeSymbol lockType) =>
            Methods(lockType, model, position).FirstOrDefault(m =>
                m.ReturnsVoid && m.Parameters.IsEmpty && contracts.ForMethod(m) is var contract && !contract.ReturnsGuard &&
                contract.TryAcquires.IsEmpty && contract.Releases.IsEmpty &&
                contract.Acquires.Length == 1 && IsThis(contract.Acquires[0].Lock) && !contract.Acquires[0].Shared && !contract.Acquires[0].DisablesIrqs);

        /// <summary>
        /// The lock type's method that releases <c>this</c> in the given mode: with no argument, or, where the acquire returned
        /// a value the release must be given back (<c>flags = LockIrqSave()</c> … <c>UnlockIrqRestore(flags)</c>), with one
        /// argument of that type.
        /// </summary>
        public static IMethodSymbol? Release(ContractProvider contracts, SemanticModel model, int position, ITypeSymbol lockType, bool shared, ITypeSymbol? token) =>
            Methods(lockType, model, position).FirstOrDefault(m =>
                m.ReturnsVoid && (token is null ? m.Parameters.IsEmpty : m.Parameters.Length == 1 && m.Parameters[0].RefKind == RefKind.None && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, token)) &&
                contracts.ForMethod(m) is var contract && contract.Acquires.IsEmpty && contract.TryAcquires.IsEmpty &&
                contract.Releases.Length == 1 && IsThis(contract.Releases[0].Lock) && contract.Releases[0].Shared == shared);

        public static bool IsThis(LockExpr expr) => expr.Kind == LockRootKind.This && expr.Members.IsEmpty;

        /// <summary><c>lockExpression.Method(arguments);</c></summary>
        public static StatementSyntax Call(ExpressionSyntax lockExpression, IMethodSymbol method, params ExpressionSyntax[] arguments) =>
            SyntaxFactory.ExpressionStatement(
                SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, lockExpression.WithoutTrivia(), SyntaxFactory.IdentifierName(method.Name)),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments.Select(a => SyntaxFactory.Argument(a.WithoutTrivia()))))));

        /// <summary><c>Monitor.Exit(x);</c>, the type name simplified where the code is inserted.</summary>
        public static StatementSyntax MonitorExit(ExpressionSyntax lockExpression) =>
            SyntaxFactory.ExpressionStatement(
                SyntaxFactory.InvocationExpression(
                    SyntaxFactory.ParseExpression("global::System.Threading.Monitor.Exit").WithAdditionalAnnotations(Simplifier.Annotation),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(lockExpression.WithoutTrivia())))));

        /// <summary><c>try { body } finally { release }</c>, to be laid out by the formatter.</summary>
        public static TryStatementSyntax TryFinally(IEnumerable<StatementSyntax> body, StatementSyntax release) =>
            SyntaxFactory.TryStatement(
                SyntaxFactory.Block(body),
                default,
                SyntaxFactory.FinallyClause(SyntaxFactory.Block(release)))
            .WithAdditionalAnnotations(Formatter.Annotation);

        /// <summary>
        /// Replaces <paramref name="statement"/> by <paramref name="replacement"/>: in place where it is in a block or a
        /// switch section, else (an embedded statement: <c>if (c) return;</c>) inside a new block.
        /// </summary>
        public static SyntaxNode ReplaceStatement(SyntaxNode root, StatementSyntax statement, IReadOnlyList<StatementSyntax> replacement)
        {
            if (statement.Parent is BlockSyntax or SwitchSectionSyntax)
            {
                return root.ReplaceNode(statement, replacement);
            }

            // The block ends where the statement ended (its line break), so the formatter adds no blank line after it.
            var block = SyntaxFactory.Block(replacement).WithTrailingTrivia(statement.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
            return root.ReplaceNode(statement, block);
        }

        /// <summary>
        /// Moves <paramref name="original"/>'s leading trivia (comments, indentation) onto the first statement of
        /// <paramref name="statements"/> and its trailing trivia onto the last, so the replacement sits where it stood.
        /// </summary>
        public static StatementSyntax[] KeepTrivia(StatementSyntax original, StatementSyntax[] statements)
        {
            if (statements.Length == 0)
            {
                return statements;
            }

            statements[0] = statements[0].WithLeadingTrivia(original.GetLeadingTrivia());
            statements[statements.Length - 1] = statements[statements.Length - 1].WithTrailingTrivia(original.GetTrailingTrivia());
            return statements;
        }

        /// <summary>A local name not used anywhere in <paramref name="member"/>, nor in <paramref name="taken"/>: <c>result</c>, <c>result1</c>, …</summary>
        public static string FreshName(SyntaxNode member, string name, IEnumerable<string> taken)
        {
            var used = new HashSet<string>(member.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText).Concat(taken));
            var candidate = name;
            for (var i = 1; used.Contains(candidate); i++)
            {
                candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return candidate;
        }

        /// <summary>The node of <paramref name="root"/> at the place of <paramref name="original"/> (a copy of the tree it was in, edited elsewhere).</summary>
        public static T? Same<T>(SyntaxNode root, T original)
            where T : SyntaxNode =>
            root.FindNode(original.Span, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<T>()
                .FirstOrDefault(n => n.Span == original.Span && n.RawKind == original.RawKind);

        /// <summary>The text of an expression without its trivia, for comparing two writings of one path.</summary>
        public static string Text(ExpressionSyntax expression) => expression.WithoutTrivia().ToString();

        private static IEnumerable<IMethodSymbol> Methods(ITypeSymbol type, SemanticModel model, int position)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var method in t.GetMembers().OfType<IMethodSymbol>())
                {
                    if (method.MethodKind == MethodKind.Ordinary && !method.IsStatic && !method.IsGenericMethod && model.IsAccessible(position, method))
                    {
                        yield return method;
                    }
                }
            }
        }

        /// <summary>The symbol a path expression denotes where it stands.</summary>
        public static ISymbol? SymbolOf(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellation) =>
            model.GetSymbolInfo(expression, cancellation).Symbol;
    }
}
