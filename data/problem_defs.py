"""Definitions of the bundled problem set (data, read only by data/build_problems.py).

Every problem was written for this project. Each entry has
  id          short unique name (also the record id, prefixed "bundled/")
  difficulty  "trivial", "easy" or "medium"
  statement   the full statement, input and output format included
  solution    the reference solution (a complete stdin/stdout program)
  gen         gen(rng, small) -> one test input; small=True gives the short,
              example-like inputs used as public tests, small=False the larger
              hidden ones
  edges       fixed edge-case inputs, always among the hidden tests
The expected outputs are not written here: the build runs the reference solution.
"""
import string

PROBLEMS = []


def problem(id, difficulty, statement, solution, gen, edges=()):
    PROBLEMS.append({"id": id, "difficulty": difficulty, "statement": statement.strip(),
                     "solution": solution.strip() + "\n", "gen": gen, "edges": list(edges)})


def ints(r, n, lo, hi):
    return [r.randint(lo, hi) for _ in range(n)]


def join(xs):
    return " ".join(map(str, xs))


def word(r, n, letters=string.ascii_lowercase):
    return "".join(r.choice(letters) for _ in range(n))


def sentence(r, n_words, max_len=6, letters=string.ascii_lowercase):
    return " ".join(word(r, r.randint(1, max_len), letters) for _ in range(n_words))


def list_input(r, small, lo, hi, n_small=(2, 6), n_large=(5, 40)):
    """'n' on the first line, n integers on the second."""
    n = r.randint(*(n_small if small else n_large))
    return f"{n}\n{join(ints(r, n, lo, hi))}\n"


# ---------------------------------------------------------------- trivial

problem("sum_of_two", "trivial", """
Read two integers and print their sum.

Input
One line with two integers a and b separated by a space (-10^9 <= a, b <= 10^9).

Output
Print a single integer: a + b.
""", """
a, b = map(int, input().split())
print(a + b)
""", lambda r, s: f"{r.randint(-20, 20) if s else r.randint(-10**9, 10**9)} {r.randint(-20, 20) if s else r.randint(-10**9, 10**9)}\n",
    ["0 0\n", "-1000000000 -1000000000\n", "1000000000 -1000000000\n"])

problem("reverse_string", "trivial", """
Given a word, print it with its letters in reverse order.

Input
One line with a string s of lowercase English letters (1 <= length of s <= 100).

Output
Print s reversed.
""", """
print(input().strip()[::-1])
""", lambda r, s: word(r, r.randint(2, 6) if s else r.randint(1, 100)) + "\n",
    ["a\n", "abba\n", "ab\n"])

problem("max_of_three", "trivial", """
Print the largest of three integers.

Input
One line with three integers separated by spaces, each between -10^6 and 10^6.

Output
Print the largest of the three numbers.
""", """
print(max(map(int, input().split())))
""", lambda r, s: join(ints(r, 3, -10, 10) if s else ints(r, 3, -10**6, 10**6)) + "\n",
    ["5 5 5\n", "-1 -2 -3\n", "1 1 0\n"])

problem("even_or_odd", "trivial", """
Decide whether an integer is even or odd.

Input
One line with an integer n (-10^9 <= n <= 10^9).

Output
Print "even" if n is divisible by 2, otherwise print "odd".
""", """
n = int(input())
print("even" if n % 2 == 0 else "odd")
""", lambda r, s: f"{r.randint(1, 30) if s else r.randint(-10**9, 10**9)}\n",
    ["0\n", "-7\n", "-1000000000\n"])

problem("square_number", "trivial", """
Print the square of an integer.

Input
One line with an integer n (-10^9 <= n <= 10^9).

Output
Print n * n.
""", """
n = int(input())
print(n * n)
""", lambda r, s: f"{r.randint(-12, 12) if s else r.randint(-10**9, 10**9)}\n",
    ["0\n", "-1000000000\n", "1\n"])

problem("count_vowels", "trivial", """
Count the vowels in a line of text. The vowels are a, e, i, o and u.

Input
One line of at most 200 characters consisting of lowercase English letters and spaces.
The line contains at least one letter.

Output
Print the number of vowels in the line.
""", """
line = input()
print(sum(1 for c in line if c in "aeiou"))
""", lambda r, s: sentence(r, r.randint(1, 3) if s else r.randint(3, 25)) + "\n",
    ["bcdfg\n", "aeiou\n", "a\n"])

problem("shout", "trivial", """
Convert a line of text to uppercase.

Input
One line of at most 200 characters consisting of lowercase English letters and single spaces,
with at least one letter.

Output
Print the same line with every letter replaced by its uppercase form.
""", """
print(input().upper())
""", lambda r, s: sentence(r, r.randint(1, 3) if s else r.randint(3, 20)) + "\n",
    ["z\n", "hello world\n"])

problem("greeting", "trivial", """
Greet a person by name.

Input
One line with a name: 1 to 20 English letters.

Output
Print "Hello, " followed by the name and an exclamation mark, for example "Hello, Ann!".
""", """
name = input().strip()
print("Hello, " + name + "!")
""", lambda r, s: word(r, 1, string.ascii_uppercase) + word(r, r.randint(2, 5) if s else r.randint(0, 19)) + "\n",
    ["X\n", "abcdefghijklmnopqrst\n"])

problem("sum_of_list", "trivial", """
Add up a list of integers.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -10^6 and 10^6.

Output
Print the sum of the n integers.
""", """
n = int(input())
print(sum(map(int, input().split())))
""", lambda r, s: list_input(r, s, -1000, 1000) if s else list_input(r, s, -10**6, 10**6),
    ["1\n-5\n", "3\n0 0 0\n", "4\n1000000 1000000 1000000 1000000\n"])

problem("minimum_of_list", "trivial", """
Find the smallest number in a list.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -10^9 and 10^9.

Output
Print the smallest of the n integers.
""", """
n = int(input())
print(min(map(int, input().split())))
""", lambda r, s: list_input(r, s, -50, 50) if s else list_input(r, s, -10**9, 10**9),
    ["1\n7\n", "3\n2 2 2\n", "2\n-1000000000 1000000000\n"])

problem("string_length", "trivial", """
Print the length of a word.

Input
One line with a string of 1 to 1000 lowercase English letters.

Output
Print the number of letters in the string.
""", """
print(len(input().strip()))
""", lambda r, s: word(r, r.randint(1, 8) if s else r.randint(1, 300)) + "\n",
    ["a\n", "z" * 1000 + "\n"])

problem("celsius_to_fahrenheit", "trivial", """
Convert a temperature from degrees Celsius to degrees Fahrenheit using F = C * 9 / 5 + 32.

Input
One line with an integer C (-273 <= C <= 10000).

Output
Print F with exactly one digit after the decimal point, for example "212.0".
""", """
c = int(input())
print(f"{c * 9 / 5 + 32:.1f}")
""", lambda r, s: f"{r.randint(-10, 40) if s else r.randint(-273, 10000)}\n",
    ["0\n", "-40\n", "-273\n", "10000\n"])

problem("rectangle", "trivial", """
Given the width and height of a rectangle, print its area and its perimeter.

Input
One line with two integers w and h (1 <= w, h <= 10^6).

Output
Print two integers separated by a space: the area w * h and the perimeter 2 * (w + h).
""", """
w, h = map(int, input().split())
print(w * h, 2 * (w + h))
""", lambda r, s: join(ints(r, 2, 1, 10) if s else ints(r, 2, 1, 10**6)) + "\n",
    ["1 1\n", "1000000 1000000\n", "1 1000000\n"])

problem("count_words", "trivial", """
Count the words in a line. Words are separated by single spaces.

Input
One line of at most 300 characters: words made of lowercase English letters, separated by
single spaces, with no leading or trailing spaces. There is at least one word.

Output
Print the number of words.
""", """
print(len(input().split()))
""", lambda r, s: sentence(r, r.randint(1, 4) if s else r.randint(1, 40)) + "\n",
    ["word\n", "a b c d e f g h i j\n"])

problem("repeat_string", "trivial", """
Print a string repeated several times with nothing between the copies.

Input
The first line contains a string s of 1 to 10 lowercase English letters.
The second line contains an integer k (1 <= k <= 20).

Output
Print s written k times in a row on one line.
""", """
s = input().strip()
k = int(input())
print(s * k)
""", lambda r, s: f"{word(r, r.randint(1, 3) if s else r.randint(1, 10))}\n{r.randint(1, 4) if s else r.randint(1, 20)}\n",
    ["a\n1\n", "abcdefghij\n20\n"])

problem("absolute_difference", "trivial", """
Print the distance between two integers on the number line.

Input
One line with two integers a and b (-10^9 <= a, b <= 10^9).

Output
Print |a - b|, the absolute value of their difference.
""", """
a, b = map(int, input().split())
print(abs(a - b))
""", lambda r, s: join(ints(r, 2, -20, 20) if s else ints(r, 2, -10**9, 10**9)) + "\n",
    ["5 5\n", "-1000000000 1000000000\n", "3 -3\n"])

problem("last_digit", "trivial", """
Print the last decimal digit of a non-negative integer.

Input
One line with an integer n (0 <= n <= 10^18).

Output
Print the last digit of n.
""", """
print(int(input()) % 10)
""", lambda r, s: f"{r.randint(0, 999) if s else r.randint(0, 10**18)}\n",
    ["0\n", "1000000000000000000\n", "9\n"])

problem("sign_of_number", "trivial", """
Tell whether a number is positive, negative or zero.

Input
One line with an integer n (-10^9 <= n <= 10^9).

Output
Print "positive" if n > 0, "negative" if n < 0 and "zero" if n = 0.
""", """
n = int(input())
print("positive" if n > 0 else "negative" if n < 0 else "zero")
""", lambda r, s: f"{r.randint(-9, 9) if s else r.randint(-10**9, 10**9)}\n",
    ["0\n", "-1\n", "1\n"])

problem("first_and_last", "trivial", """
Print the first and the last character of a word.

Input
One line with a string of 1 to 100 lowercase English letters.

Output
Print the first character and the last character separated by a space. For a string of
length one, the same character is printed twice.
""", """
s = input().strip()
print(s[0], s[-1])
""", lambda r, s: word(r, r.randint(2, 6) if s else r.randint(1, 100)) + "\n",
    ["q\n", "ab\n"])

problem("times_table", "trivial", """
Print the first ten multiples of a number.

Input
One line with an integer n (-1000 <= n <= 1000).

Output
Print n*1, n*2, ..., n*10 on one line, separated by spaces.
""", """
n = int(input())
print(" ".join(str(n * i) for i in range(1, 11)))
""", lambda r, s: f"{r.randint(1, 12) if s else r.randint(-1000, 1000)}\n",
    ["0\n", "-1000\n", "1\n"])

problem("count_letter", "trivial", """
Count how many times a given letter occurs in a word.

Input
The first line contains a string s of 1 to 200 lowercase English letters.
The second line contains a single lowercase letter c.

Output
Print the number of positions i where s[i] equals c.
""", """
s = input().strip()
c = input().strip()
print(s.count(c))
""", lambda r, s: f"{word(r, r.randint(3, 8) if s else r.randint(1, 200), 'abc' if s else 'abcde')}\n{r.choice('abc')}\n",
    ["a\nb\n", "aaaa\na\n"])

problem("divide_with_remainder", "trivial", """
Divide one non-negative integer by a positive integer.

Input
One line with two integers a and b (0 <= a <= 10^12, 1 <= b <= 10^6).

Output
Print two integers separated by a space: the quotient (a divided by b, rounded down) and the
remainder.
""", """
a, b = map(int, input().split())
print(a // b, a % b)
""", lambda r, s: f"{r.randint(0, 50) if s else r.randint(0, 10**12)} {r.randint(1, 9) if s else r.randint(1, 10**6)}\n",
    ["0 1\n", "7 7\n", "1000000000000 1\n", "5 1000000\n"])

problem("minutes_to_clock", "trivial", """
Write a number of minutes as hours and minutes.

Input
One line with an integer m (0 <= m <= 100000), a number of minutes.

Output
Print "H:MM" where H is the number of whole hours (no leading zeros) and MM is the number of
remaining minutes written with exactly two digits. For example, 125 minutes is "2:05".
""", """
m = int(input())
print(f"{m // 60}:{m % 60:02d}")
""", lambda r, s: f"{r.randint(0, 300) if s else r.randint(0, 100000)}\n",
    ["0\n", "59\n", "60\n", "100000\n"])

# ---------------------------------------------------------------- easy

problem("palindrome", "easy", """
Decide whether a word reads the same forwards and backwards.

Input
One line with a string of 1 to 100 lowercase English letters.

Output
Print "YES" if the string is a palindrome and "NO" otherwise.
""", """
s = input().strip()
print("YES" if s == s[::-1] else "NO")
""", lambda r, s: (lambda w: w + w[::-1][r.randint(0, 1):] if r.random() < 0.5 else w + word(r, 2))(word(r, r.randint(1, 3) if s else r.randint(1, 40), "ab" if s else "abc")) + "\n",
    ["a\n", "ab\n", "aba\n", "abca\n"])

problem("fizzbuzz", "easy", """
Count from 1 to n, replacing some numbers by words.

Input
One line with an integer n (1 <= n <= 100).

Output
Print n lines. Line i contains "FizzBuzz" if i is divisible by both 3 and 5, "Fizz" if i is
divisible only by 3, "Buzz" if i is divisible only by 5, and the number i otherwise.
""", """
n = int(input())
for i in range(1, n + 1):
    if i % 15 == 0:
        print("FizzBuzz")
    elif i % 3 == 0:
        print("Fizz")
    elif i % 5 == 0:
        print("Buzz")
    else:
        print(i)
""", lambda r, s: f"{r.randint(1, 7) if s else r.randint(8, 100)}\n",
    ["1\n", "15\n", "100\n"])

problem("factorial", "easy", """
Compute n factorial, the product 1 * 2 * ... * n. By definition 0! = 1.

Input
One line with an integer n (0 <= n <= 30).

Output
Print n!.
""", """
n = int(input())
f = 1
for i in range(2, n + 1):
    f *= i
print(f)
""", lambda r, s: f"{r.randint(1, 6) if s else r.randint(7, 30)}\n",
    ["0\n", "1\n", "30\n"])

problem("fibonacci", "easy", """
The Fibonacci numbers are F(0) = 0, F(1) = 1 and F(k) = F(k-1) + F(k-2) for k >= 2.
Print F(n).

Input
One line with an integer n (0 <= n <= 90).

Output
Print F(n).
""", """
n = int(input())
a, b = 0, 1
for _ in range(n):
    a, b = b, a + b
print(a)
""", lambda r, s: f"{r.randint(2, 10) if s else r.randint(11, 90)}\n",
    ["0\n", "1\n", "90\n"])

problem("count_primes", "easy", """
Count the prime numbers that are not larger than n. A prime is an integer greater than 1
whose only positive divisors are 1 and itself.

Input
One line with an integer n (1 <= n <= 100000).

Output
Print how many primes p satisfy p <= n.
""", """
n = int(input())
sieve = [True] * (n + 1)
sieve[0] = False
if n >= 1:
    sieve[1] = False
for i in range(2, int(n ** 0.5) + 1):
    if sieve[i]:
        for j in range(i * i, n + 1, i):
            sieve[j] = False
print(sum(sieve))
""", lambda r, s: f"{r.randint(2, 30) if s else r.randint(31, 100000)}\n",
    ["1\n", "2\n", "100000\n"])

problem("is_prime", "easy", """
Decide whether a number is prime. A prime is an integer greater than 1 whose only positive
divisors are 1 and itself.

Input
One line with an integer n (1 <= n <= 10^9).

Output
Print "YES" if n is prime and "NO" otherwise.
""", """
n = int(input())
ok = n > 1
d = 2
while d * d <= n and ok:
    if n % d == 0:
        ok = False
    d += 1
print("YES" if ok else "NO")
""", lambda r, s: f"{r.randint(2, 30) if s else r.choice([r.randint(2, 10**9), 999999937, 1000000007 - 8, 7919 * 7927, 2 ** 29])}\n",
    ["1\n", "2\n", "4\n", "999999937\n", "997002999\n"])

problem("gcd_and_lcm", "easy", """
Print the greatest common divisor and the least common multiple of two positive integers.

Input
One line with two integers a and b (1 <= a, b <= 10^9).

Output
Print two integers separated by a space: gcd(a, b) and lcm(a, b).
""", """
a, b = map(int, input().split())
x, y = a, b
while y:
    x, y = y, x % y
print(x, a // x * b)
""", lambda r, s: (lambda g: f"{g * r.randint(1, 12)} {g * r.randint(1, 12)}")(r.randint(1, 6)) + "\n" if s
    else (lambda g: f"{g * r.randint(1, 10**5)} {g * r.randint(1, 10**5)}")(r.randint(1, 10**4)) + "\n",
    ["1 1\n", "1000000000 999999999\n", "7 7\n"])

problem("digit_sum", "easy", """
Add up the decimal digits of a (possibly very long) non-negative integer.

Input
One line with a non-negative integer of 1 to 200 digits, without leading zeros (the number
0 is written as "0").

Output
Print the sum of its digits.
""", """
print(sum(int(c) for c in input().strip()))
""", lambda r, s: str(r.randint(1, 9)) + word(r, r.randint(1, 4) if s else r.randint(10, 199), string.digits) + "\n",
    ["0\n", "9\n", "9" * 200 + "\n"])

problem("second_largest", "easy", """
Find the second largest distinct value in a list.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -1000 and 1000.

Output
Print the largest value that is strictly smaller than the maximum of the list. If all values
are equal, print "NONE".
""", """
n = int(input())
values = sorted(set(map(int, input().split())))
print(values[-2] if len(values) >= 2 else "NONE")
""", lambda r, s: list_input(r, s, -10, 10, n_small=(3, 6)) if s else list_input(r, s, -1000, 1000),
    ["1\n5\n", "4\n3 3 3 3\n", "4\n9 9 1 1\n", "2\n-1000 1000\n"])

problem("sort_numbers", "easy", """
Sort a list of integers in non-decreasing order.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -10^6 and 10^6.

Output
Print the n integers in non-decreasing order on one line, separated by spaces.
""", """
n = int(input())
print(" ".join(map(str, sorted(map(int, input().split())))))
""", lambda r, s: list_input(r, s, -20, 20, n_small=(3, 6)) if s else list_input(r, s, -10**6, 10**6),
    ["1\n0\n", "5\n5 4 3 2 1\n", "4\n2 2 -2 -2\n"])

problem("remove_duplicates", "easy", """
Remove repeated values from a list, keeping the first occurrence of each value.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -100 and 100.

Output
Print the distinct values in the order of their first appearance, on one line, separated by
spaces.
""", """
n = int(input())
seen = set()
out = []
for x in input().split():
    if x not in seen:
        seen.add(x)
        out.append(x)
print(" ".join(out))
""", lambda r, s: list_input(r, s, 1, 5, n_small=(4, 7)) if s else list_input(r, s, -10, 10),
    ["1\n-100\n", "5\n7 7 7 7 7\n", "4\n1 2 3 4\n"])

problem("letter_counts", "easy", """
Count how often each letter occurs in a word.

Input
One line with a string of 1 to 200 lowercase English letters.

Output
For every letter that occurs in the string, in alphabetical order, print one line with the
letter, a space, and the number of times it occurs.
""", """
s = input().strip()
for c in sorted(set(s)):
    print(c, s.count(c))
""", lambda r, s: word(r, r.randint(3, 8) if s else r.randint(1, 200), "abcd" if s else string.ascii_lowercase) + "\n",
    ["z\n", "aaaa\n", "zyxabc\n"])

problem("capitalize_words", "easy", """
Capitalize the first letter of every word in a line.

Input
One line of at most 200 characters: words of lowercase English letters separated by single
spaces, with no leading or trailing spaces and at least one word.

Output
Print the line with the first letter of each word changed to uppercase and everything else
unchanged.
""", """
print(" ".join(w[0].upper() + w[1:] for w in input().split()))
""", lambda r, s: sentence(r, r.randint(1, 3) if s else r.randint(2, 25)) + "\n",
    ["a\n", "a b c\n"])

problem("to_binary", "easy", """
Write a non-negative integer in base 2.

Input
One line with an integer n (0 <= n <= 10^18).

Output
Print the binary representation of n without leading zeros. For n = 0 print "0".
""", """
n = int(input())
digits = ""
while n > 0:
    digits = str(n % 2) + digits
    n //= 2
print(digits or "0")
""", lambda r, s: f"{r.randint(1, 20) if s else r.randint(21, 10**18)}\n",
    ["0\n", "1\n", "1000000000000000000\n", "1024\n"])

problem("sign_counts", "easy", """
Count the positive, negative and zero values in a list.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -1000 and 1000.

Output
Print three integers separated by spaces: the number of positive values, the number of
negative values and the number of zeros.
""", """
n = int(input())
a = list(map(int, input().split()))
print(sum(x > 0 for x in a), sum(x < 0 for x in a), sum(x == 0 for x in a))
""", lambda r, s: list_input(r, s, -3, 3) if s else list_input(r, s, -1000, 1000),
    ["1\n0\n", "3\n-1 -2 -3\n", "2\n1000 1000\n"])

problem("prefix_sums", "easy", """
Print the running totals of a list.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -10^6 and 10^6.

Output
Print n integers on one line separated by spaces: the i-th is the sum of the first i values.
""", """
n = int(input())
total = 0
out = []
for x in map(int, input().split()):
    total += x
    out.append(total)
print(" ".join(map(str, out)))
""", lambda r, s: list_input(r, s, -9, 9) if s else list_input(r, s, -10**6, 10**6),
    ["1\n42\n", "4\n1 -1 1 -1\n"])

problem("reverse_words", "easy", """
Reverse the order of the words in a line (the letters inside each word stay in place).

Input
One line of at most 200 characters: words of lowercase English letters separated by single
spaces, with no leading or trailing spaces and at least one word.

Output
Print the words in reverse order, separated by single spaces.
""", """
print(" ".join(input().split()[::-1]))
""", lambda r, s: sentence(r, r.randint(2, 4) if s else r.randint(1, 25)) + "\n",
    ["single\n", "a b\n"])

problem("anagrams", "easy", """
Decide whether two words are anagrams, that is, whether one can be obtained by rearranging
the letters of the other.

Input
Two lines, each with a string of 1 to 100 lowercase English letters.

Output
Print "YES" if the two strings are anagrams of each other and "NO" otherwise.
""", """
a = input().strip()
b = input().strip()
print("YES" if sorted(a) == sorted(b) else "NO")
""", lambda r, s: (lambda w: w + "\n" + ("".join(r.sample(w, len(w))) if r.random() < 0.5 else (lambda v: v[:-1] + r.choice("abc"))(w)) + "\n")(word(r, r.randint(3, 6) if s else r.randint(1, 60), "abc" if s else "abcdef")),
    ["a\na\n", "ab\nabb\n", "abc\ncbd\n"])

problem("triangle_kind", "easy", """
Classify a triangle by its side lengths.

Input
One line with three integers a, b, c (1 <= a, b, c <= 10^6).

Output
If the three lengths cannot form a triangle with positive area (the largest is at least the
sum of the other two), print "invalid". Otherwise print "equilateral" if all three are equal,
"isosceles" if exactly two are equal, and "scalene" if all are different.
""", """
a, b, c = sorted(map(int, input().split()))
if a + b <= c:
    print("invalid")
elif a == c:
    print("equilateral")
elif a == b or b == c:
    print("isosceles")
else:
    print("scalene")
""", lambda r, s: join(ints(r, 3, 1, 8) if s else r.choice([ints(r, 3, 1, 10**6), [r.randint(1, 10**5)] * 2 + [r.randint(1, 10**5)]])) + "\n",
    ["1 1 2\n", "5 5 5\n", "1000000 1 1000000\n", "3 4 5\n"])

problem("leap_year", "easy", """
Decide whether a year is a leap year in the Gregorian calendar: a year is a leap year if it
is divisible by 4, except years divisible by 100, which are leap years only if they are also
divisible by 400.

Input
One line with an integer y (1 <= y <= 10^6).

Output
Print "YES" for a leap year and "NO" otherwise.
""", """
y = int(input())
print("YES" if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else "NO")
""", lambda r, s: f"{r.randint(1990, 2030) if s else r.choice([r.randint(1, 10**6), 100 * r.randint(1, 10**4)])}\n",
    ["1900\n", "2000\n", "4\n", "1\n"])

problem("longest_ones_run", "easy", """
Find the longest block of consecutive ones in a binary string.

Input
One line with a string of 1 to 200 characters, each '0' or '1'.

Output
Print the length of the longest run of consecutive '1' characters (0 if there is none).
""", """
best = cur = 0
for c in input().strip():
    cur = cur + 1 if c == "1" else 0
    best = max(best, cur)
print(best)
""", lambda r, s: word(r, r.randint(4, 10) if s else r.randint(10, 200), "01" if s else "0111") + "\n",
    ["0\n", "1\n", "1" * 200 + "\n", "0000010\n"])

problem("remove_vowels", "easy", """
Delete all vowels (a, e, i, o, u) from a word.

Input
One line with a string of 1 to 200 lowercase English letters containing at least one letter
that is not a vowel.

Output
Print the string with every vowel removed.
""", """
print("".join(c for c in input().strip() if c not in "aeiou"))
""", lambda r, s: word(r, r.randint(3, 8) if s else r.randint(5, 200)) + "b\n",
    ["b\n", "aeioub\n", "xyz\n"])

problem("caesar_shift", "easy", """
Encrypt a message by shifting each letter forward in the alphabet by k positions, wrapping
around from 'z' to 'a'. Spaces are left unchanged.

Input
The first line contains an integer k (0 <= k <= 25). The second line contains the message:
at most 200 characters, lowercase English letters and single spaces, at least one letter.

Output
Print the encrypted message.
""", """
k = int(input())
msg = input()
print("".join(c if c == " " else chr((ord(c) - 97 + k) % 26 + 97) for c in msg))
""", lambda r, s: f"{r.randint(1, 5) if s else r.randint(0, 25)}\n{sentence(r, r.randint(1, 3) if s else r.randint(2, 20))}\n",
    ["0\nabc\n", "25\nabc xyz\n", "1\nz\n"])

problem("transpose", "easy", """
Transpose a matrix: its rows become columns.

Input
The first line contains two integers r and c (1 <= r, c <= 10). Each of the next r lines
contains c integers separated by spaces, each between -100 and 100.

Output
Print c lines, each with r integers separated by spaces: line j contains column j of the
input matrix, from top to bottom.
""", """
r, c = map(int, input().split())
m = [input().split() for _ in range(r)]
for j in range(c):
    print(" ".join(m[i][j] for i in range(r)))
""", lambda r, s: (lambda a, b: f"{a} {b}\n" + "".join(join(ints(r, b, -9 if s else -100, 9 if s else 100)) + "\n" for _ in range(a)))(*(ints(r, 2, 1, 3) if s else ints(r, 2, 1, 10))),
    ["1 1\n5\n", "1 4\n1 2 3 4\n", "3 1\n1\n2\n3\n"])

problem("multiples_of_3_or_5", "easy", """
Add up all positive integers below n that are divisible by 3 or by 5.

Input
One line with an integer n (1 <= n <= 10^6).

Output
Print the sum of all integers x with 1 <= x < n such that x is divisible by 3 or 5.
""", """
n = int(input())
print(sum(x for x in range(1, n) if x % 3 == 0 or x % 5 == 0))
""", lambda r, s: f"{r.randint(4, 20) if s else r.randint(21, 10**6)}\n",
    ["1\n", "3\n", "1000000\n"])

problem("power_of_two", "easy", """
Decide whether a positive integer is a power of two (1, 2, 4, 8, ...).

Input
One line with an integer n (1 <= n <= 10^18).

Output
Print "YES" if n = 2^k for some integer k >= 0 and "NO" otherwise.
""", """
n = int(input())
while n % 2 == 0:
    n //= 2
print("YES" if n == 1 else "NO")
""", lambda r, s: f"{r.randint(1, 20) if s else r.choice([2 ** r.randint(0, 59), r.randint(1, 10**18), 2 ** r.randint(2, 59) + r.choice([-1, 1])])}\n",
    ["1\n", "576460752303423488\n", "1000000000000000000\n", "6\n"])

problem("count_occurrences", "easy", """
Count how many times a pattern occurs in a text, counting overlapping occurrences.

Input
The first line contains the text s and the second line the pattern t; both are strings of
lowercase English letters with 1 <= length of t <= length of s <= 200.

Output
Print the number of positions i such that t starts at position i of s.
""", """
s = input().strip()
t = input().strip()
print(sum(1 for i in range(len(s) - len(t) + 1) if s[i:i + len(t)] == t))
""", lambda r, s: f"{word(r, r.randint(5, 10) if s else r.randint(20, 200), 'ab')}\n{word(r, r.randint(1, 2) if s else r.randint(1, 4), 'ab')}\n",
    ["aaaa\naa\n", "a\na\n", "ab\nba\n"])

problem("letter_grades", "easy", """
Turn exam scores into letter grades: 90 or more is A, 80 to 89 is B, 70 to 79 is C, 60 to 69
is D, and below 60 is F.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integer
scores separated by spaces, each between 0 and 100.

Output
Print the n letter grades on one line, separated by spaces.
""", """
n = int(input())
out = []
for x in map(int, input().split()):
    out.append("A" if x >= 90 else "B" if x >= 80 else "C" if x >= 70 else "D" if x >= 60 else "F")
print(" ".join(out))
""", lambda r, s: list_input(r, s, 40, 100) if s else list_input(r, s, 0, 100),
    ["1\n0\n", "6\n100 90 89 60 59 70\n"])

problem("diagonal_sum", "easy", """
Add up the numbers on both diagonals of a square matrix. The center cell of an odd-sized
matrix lies on both diagonals but is counted only once.

Input
The first line contains an integer n (1 <= n <= 10). Each of the next n lines contains n
integers separated by spaces, each between -100 and 100.

Output
Print the sum of the elements on the main diagonal and the anti-diagonal.
""", """
n = int(input())
m = [list(map(int, input().split())) for _ in range(n)]
total = sum(m[i][i] + m[i][n - 1 - i] for i in range(n))
if n % 2 == 1:
    total -= m[n // 2][n // 2]
print(total)
""", lambda r, s: (lambda n: f"{n}\n" + "".join(join(ints(r, n, -9 if s else -100, 9 if s else 100)) + "\n" for _ in range(n)))(r.randint(2, 3) if s else r.randint(1, 10)),
    ["1\n-7\n", "2\n1 2\n3 4\n"])

problem("pairs_with_sum", "easy", """
Count the pairs of positions whose values add up to a target.

Input
The first line contains two integers n and t (1 <= n <= 100, -1000 <= t <= 1000). The second
line contains n integers separated by spaces, each between -500 and 500.

Output
Print the number of pairs (i, j) with i < j such that a_i + a_j = t.
""", """
n, t = map(int, input().split())
a = list(map(int, input().split()))
print(sum(1 for i in range(n) for j in range(i + 1, n) if a[i] + a[j] == t))
""", lambda r, s: (lambda n, lo, hi: f"{n} {r.randint(2 * lo, 2 * hi)}\n{join(ints(r, n, lo, hi))}\n")(*((r.randint(3, 6), 0, 6) if s else (r.randint(5, 100), -10, 10))),
    ["1 2\n1\n", "4 2\n1 1 1 1\n", "3 0\n5 -5 0\n"])

problem("rotate_right", "easy", """
Rotate a list to the right by k positions: each element moves k places to the right and
elements falling off the end come back at the front.

Input
The first line contains two integers n and k (1 <= n <= 100, 0 <= k <= 10^9). The second
line contains n integers separated by spaces.

Output
Print the rotated list on one line, separated by spaces.
""", """
n, k = map(int, input().split())
a = input().split()
k %= n
print(" ".join(a[n - k:] + a[:n - k]))
""", lambda r, s: (lambda n: f"{n} {r.randint(0, 2 * n) if s else r.randint(0, 10**9)}\n{join(ints(r, n, 1, 99))}\n")(r.randint(3, 6) if s else r.randint(1, 50)),
    ["1 1000000000\n5\n", "3 0\n1 2 3\n", "3 3\n1 2 3\n"])

problem("run_length", "easy", """
Compress a word with run-length encoding: every maximal block of equal consecutive letters is
written as the letter followed by the length of the block.

Input
One line with a string of 1 to 200 lowercase English letters.

Output
Print the encoding, for example "aaabccd" becomes "a3b1c2d1".
""", """
s = input().strip()
out = []
i = 0
while i < len(s):
    j = i
    while j < len(s) and s[j] == s[i]:
        j += 1
    out.append(s[i] + str(j - i))
    i = j
print("".join(out))
""", lambda r, s: word(r, r.randint(4, 8) if s else r.randint(1, 200), "ab" if s else "abbbc") + "\n",
    ["a\n", "z" * 200 + "\n", "abcabc\n"])

problem("collatz_steps", "easy", """
Starting from n, repeatedly replace n by n / 2 if n is even and by 3n + 1 if n is odd.
Count the replacements needed to reach 1.

Input
One line with an integer n (1 <= n <= 10^6).

Output
Print the number of steps until n becomes 1 (0 if n is already 1).
""", """
n = int(input())
steps = 0
while n != 1:
    n = n // 2 if n % 2 == 0 else 3 * n + 1
    steps += 1
print(steps)
""", lambda r, s: f"{r.randint(2, 12) if s else r.randint(13, 10**6)}\n",
    ["1\n", "2\n", "837799\n"])

problem("digital_root", "easy", """
Repeatedly replace a number by the sum of its decimal digits until a single digit remains.

Input
One line with an integer n (0 <= n <= 10^18).

Output
Print the final single digit.
""", """
n = int(input())
while n >= 10:
    n = sum(int(c) for c in str(n))
print(n)
""", lambda r, s: f"{r.randint(10, 999) if s else r.randint(1000, 10**18)}\n",
    ["0\n", "9\n", "999999999999999999\n", "1000000000000000000\n"])

problem("distinct_words", "easy", """
Count the different words in a line.

Input
One line of at most 300 characters: words of lowercase English letters separated by single
spaces, with no leading or trailing spaces and at least one word.

Output
Print the number of distinct words.
""", """
print(len(set(input().split())))
""", lambda r, s: " ".join(r.choice(["cat", "dog", "sun", "a", "tree", "sky", "cab"]) for _ in range(r.randint(2, 5) if s else r.randint(1, 40))) + "\n",
    ["a\n", "x x x x\n"])

problem("above_average", "easy", """
Count the values in a list that are strictly greater than the average of the list.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between -1000 and 1000.

Output
Print how many values are strictly greater than the arithmetic mean of all n values.
""", """
n = int(input())
a = list(map(int, input().split()))
total = sum(a)
print(sum(1 for x in a if x * n > total))
""", lambda r, s: list_input(r, s, 0, 10) if s else list_input(r, s, -1000, 1000),
    ["1\n5\n", "3\n4 4 4\n", "3\n1 2 4\n"])

problem("star_triangle", "easy", """
Draw a right triangle of stars.

Input
One line with an integer n (1 <= n <= 30).

Output
Print n lines; line i (for i = 1..n) consists of exactly i '*' characters.
""", """
n = int(input())
for i in range(1, n + 1):
    print("*" * i)
""", lambda r, s: f"{r.randint(2, 6) if s else r.randint(7, 29)}\n",
    ["1\n", "30\n"])

problem("robot_position", "easy", """
A robot starts at point (0, 0). Each command moves it by one unit: U increases y, D decreases
y, R increases x and L decreases x. Print where it ends.

Input
One line with a string of 1 to 200 characters, each one of U, D, L, R.

Output
Print two integers separated by a space: the final x and y.
""", """
x = y = 0
for c in input().strip():
    if c == "U":
        y += 1
    elif c == "D":
        y -= 1
    elif c == "R":
        x += 1
    else:
        x -= 1
print(x, y)
""", lambda r, s: word(r, r.randint(3, 8) if s else r.randint(10, 200), "UDLR" if s else "UDLRRU") + "\n",
    ["U\n", "LLLL\n", "UDLR\n"])

problem("making_change", "easy", """
A cashier pays out an amount of cents using as few coins as possible, with coins worth 25, 10,
5 and 1 cents (always taking the largest coin that still fits).

Input
One line with an integer a (0 <= a <= 10^6), the amount in cents.

Output
Print four integers separated by spaces: how many 25, 10, 5 and 1 cent coins are paid.
""", """
a = int(input())
out = []
for coin in (25, 10, 5, 1):
    out.append(a // coin)
    a %= coin
print(" ".join(map(str, out)))
""", lambda r, s: f"{r.randint(1, 99) if s else r.randint(100, 10**6)}\n",
    ["0\n", "4\n", "41\n"])

problem("happy_number", "easy", """
Replace a number by the sum of the squares of its digits, again and again. If this process
reaches 1 the starting number is called happy; otherwise it loops forever without reaching 1.

Input
One line with an integer n (1 <= n <= 10^9).

Output
Print "YES" if n is happy and "NO" otherwise.
""", """
n = int(input())
seen = set()
while n != 1 and n not in seen:
    seen.add(n)
    n = sum(int(c) ** 2 for c in str(n))
print("YES" if n == 1 else "NO")
""", lambda r, s: f"{r.randint(2, 30) if s else r.randint(31, 10**9)}\n",
    ["1\n", "7\n", "4\n", "1000000000\n"])

problem("pascal_row", "easy", """
Print a row of Pascal's triangle. Row 0 is "1", row 1 is "1 1", row 2 is "1 2 1", and every
inner number of a row is the sum of the two numbers above it.

Input
One line with an integer n (0 <= n <= 40).

Output
Print row n: n + 1 integers separated by spaces.
""", """
n = int(input())
row = [1]
for _ in range(n):
    row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
print(" ".join(map(str, row)))
""", lambda r, s: f"{r.randint(2, 5) if s else r.randint(6, 40)}\n",
    ["0\n", "1\n", "40\n"])

problem("split_equal_sum", "easy", """
Cut a list into a non-empty left part and a non-empty right part with equal sums.

Input
The first line contains an integer n (2 <= n <= 100). The second line contains n integers
separated by spaces, each between -100 and 100.

Output
Print the smallest k (1 <= k < n) such that the sum of the first k values equals the sum of
the remaining n - k values. If there is no such k, print -1.
""", """
n = int(input())
a = list(map(int, input().split()))
total = sum(a)
left = 0
answer = -1
for k in range(1, n):
    left += a[k - 1]
    if 2 * left == total:
        answer = k
        break
print(answer)
""", lambda r, s: (lambda a, b: f"{len(a) + len(b)}\n{join(a + b)}\n")(*(lambda a: (a, (lambda t: ints(r, r.randint(1, 3), 0, 5) if r.random() < 0.4 else [t] if t != 0 else [0])(sum(a))))(ints(r, r.randint(1, 4) if s else r.randint(1, 30), -5 if s else -100, 9 if s else 100))),
    ["2\n1 1\n", "2\n1 2\n", "3\n0 0 0\n", "4\n1 -1 1 -1\n"])

# ---------------------------------------------------------------- medium


def brackets(r, n, balanced):
    """A random bracket string of about n characters; balanced ones built from a stack."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    out, stack = [], []
    while len(out) + len(stack) < n or stack:
        if stack and (r.random() < 0.5 or len(out) + len(stack) >= n):
            out.append(pairs[stack.pop()])
        else:
            stack.append(r.choice("([{"))
            out.append(stack[-1])
    s = "".join(out)
    if not balanced:
        i = r.randrange(len(s))
        s = s[:i] + r.choice("()[]{}") + s[i + 1:]
    return s


problem("balanced_brackets", "medium", """
Decide whether a string of brackets is balanced: every opening bracket is closed by a
bracket of the same type, and pairs are properly nested. For example "([]{})" is balanced,
while "([)]" and "((" are not.

Input
One line with a string of 1 to 200 characters, each one of ( ) [ ] { }.

Output
Print "YES" if the string is balanced and "NO" otherwise.
""", """
s = input().strip()
match = {")": "(", "]": "[", "}": "{"}
stack = []
ok = True
for c in s:
    if c in "([{":
        stack.append(c)
    elif stack and stack[-1] == match[c]:
        stack.pop()
    else:
        ok = False
        break
print("YES" if ok and not stack else "NO")
""", lambda r, s: brackets(r, r.randint(2, 6) if s else r.randint(10, 190), r.random() < 0.5) + "\n",
    ["(\n", ")(\n", "([)]\n", "{}\n"])

problem("common_prefix", "medium", """
Find the longest common prefix of several words.

Input
The first line contains an integer n (1 <= n <= 50). Each of the next n lines contains a word
of 1 to 50 lowercase English letters.

Output
Print the longest string that is a prefix of every word. If it is empty, print "NONE".
""", """
n = int(input())
words = [input().strip() for _ in range(n)]
prefix = words[0]
for w in words[1:]:
    while not w.startswith(prefix):
        prefix = prefix[:-1]
print(prefix if prefix else "NONE")
""", lambda r, s: (lambda p, n: f"{n}\n" + "".join(p[:r.randint(len(p) - 1 if r.random() < 0.8 else 0, len(p))] + word(r, r.randint(0, 4), "ab") + "\n" for _ in range(n)))(word(r, r.randint(1, 4) if s else r.randint(1, 30), "ab"), r.randint(2, 4) if s else r.randint(1, 20)),
    ["1\nabc\n", "2\nabc\nxyz\n", "3\nsame\nsame\nsame\n"])

problem("two_sum_indices", "medium", """
Find two different positions whose values add up to a target.

Input
The first line contains two integers n and t (2 <= n <= 1000, -10^6 <= t <= 10^6). The second
line contains n integers a_1 ... a_n separated by spaces, each between -10^6 and 10^6.

Output
Among all pairs i < j with a_i + a_j = t, choose the one with the smallest j, and among those
the smallest i. Print i and j (1-based) separated by a space. If there is no such pair,
print -1.
""", """
n, t = map(int, input().split())
a = list(map(int, input().split()))
first = {}
answer = None
for j, x in enumerate(a):
    if t - x in first:
        answer = (first[t - x] + 1, j + 1)
        break
    if x not in first:
        first[x] = j
print(*answer if answer else (-1,))
""", lambda r, s: (lambda n, lo, hi: f"{n} {r.randint(2 * lo, 2 * hi)}\n{join(ints(r, n, lo, hi))}\n")(*((r.randint(3, 6), 0, 9) if s else (r.randint(10, 1000), -50 * r.randint(1, 20), 50 * r.randint(1, 20)))),
    ["2 3\n1 1\n", "2 2\n1 1\n", "5 0\n0 1 2 3 0\n", "4 10\n5 5 5 5\n"])

problem("max_subarray", "medium", """
Find the largest possible sum of a non-empty block of consecutive elements of a list.

Input
The first line contains an integer n (1 <= n <= 10^4). The second line contains n integers
separated by spaces, each between -10^4 and 10^4.

Output
Print the maximum sum of a_l + ... + a_r over all 1 <= l <= r <= n.
""", """
n = int(input())
best = None
cur = 0
for x in map(int, input().split()):
    cur = max(x, cur + x)
    best = cur if best is None else max(best, cur)
print(best)
""", lambda r, s: list_input(r, s, -9, 9, n_small=(4, 7)) if s else list_input(r, s, -10**4, 10**4, n_large=(10, 1000)),
    ["1\n-5\n", "3\n-3 -1 -2\n", "5\n2 -1 2 -1 2\n"])

problem("fewest_coins", "medium", """
Pay an amount exactly using as few coins as possible. There is an unlimited supply of each
coin value, and the greedy choice is not always optimal.

Input
The first line contains two integers k and a (1 <= k <= 10, 0 <= a <= 10^4): the number of
coin values and the amount. The second line contains k distinct integers between 1 and 1000,
the coin values.

Output
Print the minimum number of coins whose values add up to exactly a, or -1 if it is
impossible.
""", """
k, a = map(int, input().split())
coins = list(map(int, input().split()))
INF = float("inf")
best = [0] + [INF] * a
for x in range(1, a + 1):
    for c in coins:
        if c <= x and best[x - c] + 1 < best[x]:
            best[x] = best[x - c] + 1
print(best[a] if best[a] != INF else -1)
""", lambda r, s: (lambda cs, a: f"{len(cs)} {a}\n{join(cs)}\n")(r.sample(range(2, 12) if s else range(2, 200), r.randint(1, 3) if s else r.randint(1, 6)), r.randint(1, 30) if s else r.randint(50, 10**4)),
    ["1 0\n5\n", "2 7\n2 4\n", "3 6\n1 3 4\n", "1 10000\n1\n"])

problem("longest_increasing_run", "medium", """
Find the length of the longest block of consecutive elements in which every element is
strictly greater than the one before it.

Input
The first line contains an integer n (1 <= n <= 1000). The second line contains n integers
separated by spaces, each between -10^6 and 10^6.

Output
Print the length of the longest strictly increasing contiguous block.
""", """
n = int(input())
a = list(map(int, input().split()))
best = cur = 1
for i in range(1, n):
    cur = cur + 1 if a[i] > a[i - 1] else 1
    best = max(best, cur)
print(best)
""", lambda r, s: list_input(r, s, 0, 9, n_small=(4, 7)) if s else list_input(r, s, 0, 30, n_large=(10, 300)),
    ["1\n5\n", "4\n3 3 3 3\n", "5\n1 2 3 4 5\n", "5\n5 4 3 2 1\n"])

problem("best_trade", "medium", """
You know the price of a stock on each of n days. Buy one share on one day and sell it on a
later day to maximize the profit.

Input
The first line contains an integer n (1 <= n <= 10^4). The second line contains n integers
separated by spaces, the prices, each between 1 and 10^6.

Output
Print the largest value of price[j] - price[i] over all days i < j, or 0 if no trade makes a
positive profit.
""", """
n = int(input())
low = None
best = 0
for p in map(int, input().split()):
    if low is not None:
        best = max(best, p - low)
    low = p if low is None else min(low, p)
print(best)
""", lambda r, s: list_input(r, s, 1, 20, n_small=(3, 7)) if s else list_input(r, s, 1, 10**6, n_large=(10, 500)),
    ["1\n5\n", "4\n9 7 4 1\n", "2\n1 1000000\n"])

problem("merge_intervals", "medium", """
Merge overlapping intervals. Two closed intervals [a, b] and [c, d] overlap if they share at
least one point, so [1, 3] and [3, 5] merge into [1, 5].

Input
The first line contains an integer n (1 <= n <= 100). Each of the next n lines contains two
integers l and r (0 <= l <= r <= 10^6) describing the interval [l, r].

Output
Print the merged intervals sorted by left end, one per line, as two integers separated by a
space.
""", """
n = int(input())
intervals = sorted(tuple(map(int, input().split())) for _ in range(n))
merged = []
for l, r in intervals:
    if merged and l <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], r)
    else:
        merged.append([l, r])
for l, r in merged:
    print(l, r)
""", lambda r, s: (lambda n, hi: f"{n}\n" + "".join((lambda a: f"{a} {a + r.randint(0, hi // 5)}\n")(r.randint(0, hi)) for _ in range(n)))(*((r.randint(2, 4), 20) if s else (r.randint(5, 100), r.choice([100, 10**4])))),
    ["1\n0 0\n", "2\n1 3\n3 5\n", "2\n5 6\n1 2\n", "3\n1 10\n2 3\n4 5\n"])

problem("most_common_word", "medium", """
Find the word that occurs most often in a line of text.

Input
One line of at most 500 characters: words of lowercase English letters separated by single
spaces, with at least one word.

Output
Print the word with the largest number of occurrences. If several words are tied, print the
one that comes first in alphabetical order.
""", """
counts = {}
for w in input().split():
    counts[w] = counts.get(w, 0) + 1
best = max(counts.values())
print(min(w for w in counts if counts[w] == best))
""", lambda r, s: " ".join(r.choice(["ant", "bee", "cat", "cow", "owl", "bat"][:4 if s else 6]) for _ in range(r.randint(3, 6) if s else r.randint(5, 80))) + "\n",
    ["one\n", "b a\n", "zz zz y y x\n"])

problem("spiral_matrix", "medium", """
Fill an n by n grid with the numbers 1 to n*n in a clockwise spiral: start in the top-left
corner, go right along the first row, then down the last column, then left along the bottom
row, then up, and keep turning inwards.

Input
One line with an integer n (1 <= n <= 15).

Output
Print n lines with n integers each, separated by spaces.
""", """
n = int(input())
grid = [[0] * n for _ in range(n)]
r = c = 0
dr, dc = 0, 1
for k in range(1, n * n + 1):
    grid[r][c] = k
    nr, nc = r + dr, c + dc
    if not (0 <= nr < n and 0 <= nc < n) or grid[nr][nc]:
        dr, dc = dc, -dr
        nr, nc = r + dr, c + dc
    r, c = nr, nc
for row in grid:
    print(" ".join(map(str, row)))
""", lambda r, s: f"{r.randint(2, 5) if s else r.randint(6, 14)}\n",
    ["1\n", "15\n"])

problem("roman_to_integer", "medium", """
Convert a Roman numeral to an ordinary integer. The symbols are I=1, V=5, X=10, L=50, C=100,
D=500 and M=1000; when a smaller symbol stands directly before a larger one it is subtracted
(IV=4, IX=9, XL=40, XC=90, CD=400, CM=900), otherwise values are added.

Input
One line with a valid Roman numeral for a number between 1 and 3999.

Output
Print its value.
""", """
values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
s = input().strip()
total = 0
for i, ch in enumerate(s):
    v = values[ch]
    if i + 1 < len(s) and values[s[i + 1]] > v:
        total -= v
    else:
        total += v
print(total)
""", lambda r, s: roman(r.randint(1, 40) if s else r.randint(41, 3999)) + "\n",
    ["I\n", "MMMCMXCIX\n", "XLIX\n"])


def roman(n):
    out = ""
    for v, sym in [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                   (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]:
        while n >= v:
            out += sym
            n -= v
    return out


problem("integer_to_roman", "medium", """
Write an integer as a Roman numeral. The symbols are I=1, V=5, X=10, L=50, C=100, D=500 and
M=1000. Use the standard subtractive forms IV=4, IX=9, XL=40, XC=90, CD=400 and CM=900, and
always use the shortest standard form (for example 1994 is MCMXCIV).

Input
One line with an integer n (1 <= n <= 3999).

Output
Print n as a Roman numeral.
""", """
n = int(input())
out = ""
for v, sym in [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
               (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]:
    while n >= v:
        out += sym
        n -= v
print(out)
""", lambda r, s: f"{r.randint(1, 40) if s else r.randint(41, 3999)}\n",
    ["1\n", "3999\n", "444\n"])

problem("next_permutation", "medium", """
Rearrange a list into the next permutation in lexicographic order. If the list is already the
largest permutation (non-increasing), print the smallest one (the list sorted in
non-decreasing order) instead.

Input
The first line contains an integer n (1 <= n <= 100). The second line contains n integers
separated by spaces, each between 0 and 9.

Output
Print the resulting list on one line, separated by spaces.
""", """
n = int(input())
a = list(map(int, input().split()))
i = n - 2
while i >= 0 and a[i] >= a[i + 1]:
    i -= 1
if i < 0:
    a.sort()
else:
    j = n - 1
    while a[j] <= a[i]:
        j -= 1
    a[i], a[j] = a[j], a[i]
    a[i + 1:] = reversed(a[i + 1:])
print(" ".join(map(str, a)))
""", lambda r, s: list_input(r, s, 0, 4, n_small=(3, 5)) if s else list_input(r, s, 0, 9, n_large=(5, 30)),
    ["1\n7\n", "3\n3 2 1\n", "3\n1 1 5\n", "4\n2 2 2 2\n"])

problem("activity_selection", "medium", """
You are given n activities with start and end times. An activity occupies the time from its
start up to its end; two activities can both be chosen if one ends no later than the other
starts. Choose as many activities as possible.

Input
The first line contains an integer n (1 <= n <= 1000). Each of the next n lines contains two
integers s and e (0 <= s < e <= 10^6).

Output
Print the maximum number of activities that can be chosen.
""", """
n = int(input())
acts = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda x: x[1])
count = 0
end = -1
for s, e in acts:
    if s >= end:
        count += 1
        end = e
print(count)
""", lambda r, s: (lambda n, hi: f"{n}\n" + "".join((lambda a: f"{a} {a + r.randint(1, max(2, hi // 4))}\n")(r.randint(0, hi)) for _ in range(n)))(*((r.randint(2, 5), 12) if s else (r.randint(10, 300), 1000))),
    ["1\n0 1000000\n", "3\n1 2\n2 3\n3 4\n", "3\n0 10\n0 10\n0 10\n"])

problem("bank_queue", "medium", """
Customers arrive at a bank with a single teller. Customer i arrives at time t_i and needs d_i
minutes of service. The teller serves customers in order of arrival, one at a time, starting
each as soon as both the teller is free and the customer has arrived. The waiting time of a
customer is the time between arrival and the start of service.

Input
The first line contains an integer n (1 <= n <= 1000). Each of the next n lines contains two
integers t_i and d_i (0 <= t_i <= 10^6, 1 <= d_i <= 1000); the arrival times are given in
non-decreasing order.

Output
Print the total waiting time of all customers.
""", """
n = int(input())
free = 0
total = 0
for _ in range(n):
    t, d = map(int, input().split())
    start = max(free, t)
    total += start - t
    free = start + d
print(total)
""", lambda r, s: (lambda n, ts: f"{n}\n" + "".join(f"{t} {r.randint(1, 6 if s else 1000)}\n" for t in ts))(*(lambda n: (n, sorted(ints(r, n, 0, 15 if s else 10**4))))(r.randint(2, 4) if s else r.randint(5, 200))),
    ["1\n5 10\n", "3\n0 5\n0 5\n0 5\n", "2\n0 1\n1000000 1\n"])

problem("visited_cells", "medium", """
A robot starts at point (0, 0) of an infinite grid. Each command moves it one cell: U is up,
D is down, L is left and R is right. Count the distinct cells it visits, the starting cell
included.

Input
One line with a string of 1 to 500 characters, each one of U, D, L, R.

Output
Print the number of distinct cells visited.
""", """
x = y = 0
seen = {(0, 0)}
step = {"U": (0, 1), "D": (0, -1), "L": (-1, 0), "R": (1, 0)}
for c in input().strip():
    dx, dy = step[c]
    x, y = x + dx, y + dy
    seen.add((x, y))
print(len(seen))
""", lambda r, s: word(r, r.randint(3, 8) if s else r.randint(20, 500), "UDLR") + "\n",
    ["U\n", "UDUDUD\n", "R" * 500 + "\n"])

problem("life_step", "medium", """
Compute one step of Conway's Game of Life on a small grid. Each cell is alive ('#') or dead
('.'). A cell's neighbours are the up to eight cells touching it horizontally, vertically or
diagonally; cells outside the grid count as dead. A live cell with 2 or 3 live neighbours
stays alive, a dead cell with exactly 3 live neighbours becomes alive, and every other cell
is dead in the next step.

Input
The first line contains two integers r and c (1 <= r, c <= 20). Each of the next r lines
contains c characters, each '#' or '.'.

Output
Print the grid after one step in the same format (r lines of c characters).
""", """
r, c = map(int, input().split())
g = [input().strip() for _ in range(r)]
for i in range(r):
    row = ""
    for j in range(c):
        n = sum(g[a][b] == "#" for a in range(max(0, i - 1), min(r, i + 2))
                for b in range(max(0, j - 1), min(c, j + 2)) if (a, b) != (i, j))
        alive = g[i][j] == "#"
        row += "#" if (alive and n in (2, 3)) or (not alive and n == 3) else "."
    print(row)
""", lambda r, s: (lambda a, b: f"{a} {b}\n" + "".join(word(r, b, "#..") + "\n" for _ in range(a)))(*(ints(r, 2, 3, 5) if s else ints(r, 2, 1, 20))),
    ["1 1\n#\n", "3 3\n...\n###\n...\n", "2 2\n##\n##\n"])

problem("rotate_grid", "medium", """
Rotate a rectangular grid of characters 90 degrees clockwise.

Input
The first line contains two integers r and c (1 <= r, c <= 20). Each of the next r lines
contains c lowercase English letters.

Output
Print the rotated grid: c lines of r characters each.
""", """
r, c = map(int, input().split())
g = [input().strip() for _ in range(r)]
for j in range(c):
    print("".join(g[i][j] for i in range(r - 1, -1, -1)))
""", lambda r, s: (lambda a, b: f"{a} {b}\n" + "".join(word(r, b) + "\n" for _ in range(a)))(*(ints(r, 2, 2, 3) if s else ints(r, 2, 1, 20))),
    ["1 1\nq\n", "1 3\nabc\n", "3 1\na\nb\nc\n"])

problem("top_k_frequent", "medium", """
List the k values that occur most often in a list.

Input
The first line contains two integers n and k (1 <= n <= 1000, 1 <= k). The second line
contains n integers separated by spaces, each between -100 and 100. It is guaranteed that k
is at most the number of distinct values.

Output
Order the distinct values by number of occurrences, most frequent first, breaking ties by
smaller value first. Print the first k of them on one line, separated by spaces.
""", """
n, k = map(int, input().split())
counts = {}
for x in map(int, input().split()):
    counts[x] = counts.get(x, 0) + 1
order = sorted(counts, key=lambda v: (-counts[v], v))
print(" ".join(map(str, order[:k])))
""", lambda r, s: (lambda a: f"{len(a)} {r.randint(1, len(set(a)))}\n{join(a)}\n")(ints(r, r.randint(4, 8) if s else r.randint(10, 300), 0 if s else -10, 4 if s else 10)),
    ["1 1\n-100\n", "4 2\n5 5 -5 -5\n", "5 3\n1 2 3 4 5\n"])

problem("expand_encoding", "medium", """
Expand a run-length encoded string. The encoding is a sequence of groups; each group is a
lowercase letter followed by a positive decimal number (without leading zeros) saying how
many times the letter is repeated. For example "a3b1c12" expands to "aaab" followed by twelve
c's.

Input
One line with the encoded string, at most 100 characters. The expanded string has at most
1000 characters.

Output
Print the expanded string.
""", """
s = input().strip()
out = []
i = 0
while i < len(s):
    letter = s[i]
    j = i + 1
    while j < len(s) and s[j].isdigit():
        j += 1
    out.append(letter * int(s[i + 1:j]))
    i = j
print("".join(out))
""", lambda r, s: "".join(r.choice("abcxyz") + str(r.randint(1, 4 if s else 40)) for _ in range(r.randint(2, 4) if s else r.randint(5, 20))) + "\n",
    ["a1\n", "z1000\n", "a1b1a1\n"])

problem("prime_factors", "medium", """
Write a number as a product of primes.

Input
One line with an integer n (2 <= n <= 10^9).

Output
Print the prime factorization with the primes in increasing order, separated by " * ". A
prime that occurs more than once is written as p^e, where e is the number of times it
occurs. For example 360 is printed as "2^3 * 3^2 * 5" and 13 as "13".
""", """
n = int(input())
parts = []
p = 2
while p * p <= n:
    e = 0
    while n % p == 0:
        n //= p
        e += 1
    if e:
        parts.append(f"{p}^{e}" if e > 1 else str(p))
    p += 1
if n > 1:
    parts.append(str(n))
print(" * ".join(parts))
""", lambda r, s: f"{r.randint(2, 100) if s else r.choice([r.randint(2, 10**9), 2 ** r.randint(1, 29) * 3 ** r.randint(0, 5), r.randint(2, 3000) ** 2])}\n",
    ["2\n", "999999937\n", "536870912\n", "1000000000\n"])

problem("knapsack", "medium", """
A thief can carry at most W kilograms. There are n items, each with a weight and a value, and
each item can be taken at most once. Maximize the total value of the items taken.

Input
The first line contains two integers n and W (1 <= n <= 50, 0 <= W <= 1000). Each of the next
n lines contains two integers w_i and v_i (1 <= w_i <= 1000, 0 <= v_i <= 10^6).

Output
Print the largest total value of a set of items whose total weight is at most W.
""", """
n, cap = map(int, input().split())
best = [0] * (cap + 1)
for _ in range(n):
    w, v = map(int, input().split())
    for c in range(cap, w - 1, -1):
        best[c] = max(best[c], best[c - w] + v)
print(best[cap])
""", lambda r, s: (lambda n, cap, wmax: f"{n} {cap}\n" + "".join(f"{r.randint(1, wmax)} {r.randint(0, 20 if s else 10**6)}\n" for _ in range(n)))(*((r.randint(2, 4), r.randint(3, 10), 6) if s else (r.randint(5, 50), r.randint(10, 1000), 300))),
    ["1 0\n1 5\n", "1 1000\n1000 1000000\n", "3 5\n5 10\n2 6\n3 6\n"])

problem("common_subsequence", "medium", """
Find the length of the longest common subsequence of two words. A subsequence is obtained by
deleting zero or more letters without changing the order of the rest.

Input
Two lines, each with a string of 1 to 200 lowercase English letters.

Output
Print the length of the longest string that is a subsequence of both.
""", """
a = input().strip()
b = input().strip()
prev = [0] * (len(b) + 1)
for x in a:
    cur = [0]
    for j, y in enumerate(b):
        cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
    prev = cur
print(prev[-1])
""", lambda r, s: f"{word(r, r.randint(3, 6) if s else r.randint(10, 200), 'abc')}\n{word(r, r.randint(3, 6) if s else r.randint(10, 200), 'abc')}\n",
    ["a\nb\n", "abc\nabc\n", "z\nzzzz\n"])

problem("edit_distance", "medium", """
Find the minimum number of single-letter edits (insert a letter, delete a letter, or replace
one letter by another) that turn the first word into the second.

Input
Two lines, each with a string of 1 to 100 lowercase English letters.

Output
Print the minimum number of edits.
""", """
a = input().strip()
b = input().strip()
prev = list(range(len(b) + 1))
for i, x in enumerate(a, 1):
    cur = [i]
    for j, y in enumerate(b, 1):
        cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
    prev = cur
print(prev[-1])
""", lambda r, s: f"{word(r, r.randint(2, 6) if s else r.randint(5, 100), 'abcd')}\n{word(r, r.randint(2, 6) if s else r.randint(5, 100), 'abcd')}\n",
    ["a\na\n", "a\nbbbbb\n", "kitten\nsitting\n"])

problem("count_islands", "medium", """
A map is a grid of land ('#') and water ('.'). An island is a maximal group of land cells
connected through shared sides (not corners). Count the islands.

Input
The first line contains two integers r and c (1 <= r, c <= 30). Each of the next r lines
contains c characters, each '#' or '.'.

Output
Print the number of islands.
""", """
r, c = map(int, input().split())
g = [list(input().strip()) for _ in range(r)]
count = 0
for i in range(r):
    for j in range(c):
        if g[i][j] == "#":
            count += 1
            stack = [(i, j)]
            g[i][j] = "."
            while stack:
                a, b = stack.pop()
                for x, y in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
                    if 0 <= x < r and 0 <= y < c and g[x][y] == "#":
                        g[x][y] = "."
                        stack.append((x, y))
print(count)
""", lambda r, s: (lambda a, b: f"{a} {b}\n" + "".join(word(r, b, "#..") + "\n" for _ in range(a)))(*(ints(r, 2, 2, 4) if s else ints(r, 2, 5, 30))),
    ["1 1\n.\n", "1 1\n#\n", "3 3\n#.#\n.#.\n#.#\n", "2 3\n###\n###\n"])

problem("maze_shortest_path", "medium", """
A maze is a grid where '.' is a free cell, '#' is a wall, 'S' is the start and 'E' is the
exit (both free). In one step you can move to a free cell that shares a side with your
current cell. Find the fewest steps from S to E.

Input
The first line contains two integers r and c (1 <= r, c <= 30). Each of the next r lines
contains c characters from '.', '#', 'S', 'E'; there is exactly one S and exactly one E.

Output
Print the minimum number of steps from S to E, or -1 if E cannot be reached.
""", """
from collections import deque
r, c = map(int, input().split())
g = [input().strip() for _ in range(r)]
start = next((i, j) for i in range(r) for j in range(c) if g[i][j] == "S")
dist = {start: 0}
queue = deque([start])
answer = -1
while queue:
    a, b = queue.popleft()
    if g[a][b] == "E":
        answer = dist[(a, b)]
        break
    for x, y in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
        if 0 <= x < r and 0 <= y < c and g[x][y] != "#" and (x, y) not in dist:
            dist[(x, y)] = dist[(a, b)] + 1
            queue.append((x, y))
print(answer)
""", lambda r, s: maze(r, *(ints(r, 2, 2, 4) if s else ints(r, 2, 4, 30))),
    ["1 2\nSE\n", "1 3\nS#E\n", "3 3\nS.#\n##.\n..E\n"])


def maze(r, rows, cols):
    cells = [[r.choice("..#") for _ in range(cols)] for _ in range(rows)]
    free = r.sample([(i, j) for i in range(rows) for j in range(cols)], 2)
    (a, b), (c, d) = free
    cells[a][b], cells[c][d] = "S", "E"
    return f"{rows} {cols}\n" + "".join("".join(row) + "\n" for row in cells)


problem("josephus_order", "medium", """
n people stand in a circle, numbered 1 to n clockwise. Starting from person 1, count k people
clockwise (person 1 is counted first); the k-th person counted leaves the circle, and counting
starts again from the next person still in the circle. This repeats until everyone has left.

Input
One line with two integers n and k (1 <= n <= 100, 1 <= k <= 1000).

Output
Print the numbers of the people in the order they leave, on one line, separated by spaces.
""", """
n, k = map(int, input().split())
people = list(range(1, n + 1))
out = []
i = 0
while people:
    i = (i + k - 1) % len(people)
    out.append(people.pop(i))
print(" ".join(map(str, out)))
""", lambda r, s: f"{r.randint(2, 7) if s else r.randint(8, 100)} {r.randint(1, 4) if s else r.randint(1, 1000)}\n",
    ["1 1\n", "1 1000\n", "5 1\n", "100 1000\n"])

problem("count_inversions", "medium", """
Count the inversions of a list: pairs of positions i < j with a_i > a_j.

Input
The first line contains an integer n (1 <= n <= 1000). The second line contains n integers
separated by spaces, each between -10^6 and 10^6.

Output
Print the number of inversions.
""", """
n = int(input())
a = list(map(int, input().split()))
print(sum(1 for i in range(n) for j in range(i + 1, n) if a[i] > a[j]))
""", lambda r, s: list_input(r, s, 0, 9, n_small=(3, 6)) if s else list_input(r, s, -10**6, 10**6, n_large=(10, 300)),
    ["1\n5\n", "4\n4 3 2 1\n", "4\n2 2 2 2\n"])

problem("window_maximum", "medium", """
For every block of k consecutive elements of a list, print the largest element of the block.

Input
The first line contains two integers n and k (1 <= k <= n <= 1000). The second line contains
n integers separated by spaces, each between -10^6 and 10^6.

Output
Print n - k + 1 integers on one line separated by spaces: the maximum of a_1..a_k, then of
a_2..a_(k+1), and so on.
""", """
n, k = map(int, input().split())
a = list(map(int, input().split()))
print(" ".join(str(max(a[i:i + k])) for i in range(n - k + 1)))
""", lambda r, s: (lambda n: f"{n} {r.randint(1, n)}\n{join(ints(r, n, 0 if s else -10**6, 9 if s else 10**6))}\n")(r.randint(3, 6) if s else r.randint(10, 200)),
    ["1 1\n-1\n", "4 4\n1 5 2 3\n", "4 1\n4 3 2 1\n"])

SOLVED_SUDOKU = "".join("".join(str((3 * (i % 3) + i // 3 + j) % 9 + 1) for j in range(9)) + "\n" for i in range(9))

problem("sudoku_check", "medium", """
Check whether a completely filled 9 by 9 Sudoku grid is valid: every row, every column and
each of the nine 3 by 3 boxes must contain each digit 1 to 9 exactly once.

Input
Nine lines, each with nine digits from 1 to 9 and no spaces.

Output
Print "VALID" if the grid satisfies all the rules and "INVALID" otherwise.
""", """
g = [input().strip() for _ in range(9)]
groups = [g[i] for i in range(9)]
groups += ["".join(g[i][j] for i in range(9)) for j in range(9)]
groups += ["".join(g[i][j] for i in range(a, a + 3) for j in range(b, b + 3)) for a in (0, 3, 6) for b in (0, 3, 6)]
print("VALID" if all(sorted(x) == list("123456789") for x in groups) else "INVALID")
""", lambda r, s: sudoku(r, r.random() < 0.5),
    [SOLVED_SUDOKU, "".join("123456789\n" for _ in range(9))])


def sudoku(r, valid):
    """A valid grid from the base pattern with shuffled digits, rows in bands and bands;
    an invalid one swaps two cells of one row (rows stay permutations, columns break)."""
    digits = r.sample(range(1, 10), 9)
    rows = [b * 3 + i for b in r.sample(range(3), 3) for i in r.sample(range(3), 3)]
    grid = [[digits[(3 * (i % 3) + i // 3 + j) % 9] for j in range(9)] for i in rows]
    if not valid:
        i = r.randrange(9)
        a, b = r.sample(range(9), 2)
        grid[i][a], grid[i][b] = grid[i][b], grid[i][a]
    return "".join("".join(map(str, row)) + "\n" for row in grid)


problem("clock_difference", "medium", """
Two times of day are given. Compute how many seconds pass going forward from the first time
to the second. If the second time is earlier than the first, it is on the next day; equal
times give 0.

Input
Two lines, each with a time in the form HH:MM:SS (00:00:00 to 23:59:59).

Output
Print the number of seconds from the first time forward to the second time (between 0 and
86399).
""", """
def secs(t):
    h, m, s = map(int, t.split(":"))
    return h * 3600 + m * 60 + s
a = secs(input().strip())
b = secs(input().strip())
print((b - a) % 86400)
""", lambda r, s: "".join(f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}\n" for _ in range(2)),
    ["00:00:00\n00:00:00\n", "23:59:59\n00:00:00\n", "00:00:00\n23:59:59\n", "12:30:00\n12:29:59\n"])

problem("day_of_week", "medium", """
Print the day of the week of a date in the Gregorian calendar. January 1, 1900 was a Monday.

Input
One line with a date written as YYYY-MM-DD, between 1900-01-01 and 2100-12-31.

Output
Print the English name of the weekday: Monday, Tuesday, Wednesday, Thursday, Friday,
Saturday or Sunday.
""", """
y, m, d = map(int, input().strip().split("-"))
def leap(y):
    return (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
days = sum(366 if leap(x) else 365 for x in range(1900, y))
month_len = [31, 29 if leap(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
days += sum(month_len[:m - 1]) + d - 1
print(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][days % 7])
""", lambda r, s: (lambda y, m: f"{y}-{m:02d}-{r.randint(1, 28):02d}\n")(r.randint(2000, 2030) if s else r.randint(1900, 2100), r.randint(1, 12)),
    ["1900-01-01\n", "2100-12-31\n", "2000-02-29\n", "1900-03-01\n"])

problem("longest_unique_substring", "medium", """
Find the length of the longest block of consecutive characters of a string in which no
character repeats.

Input
One line with a string of 1 to 1000 lowercase English letters.

Output
Print the length of the longest substring without repeated characters.
""", """
s = input().strip()
last = {}
start = best = 0
for i, c in enumerate(s):
    if c in last and last[c] >= start:
        start = last[c] + 1
    last[c] = i
    best = max(best, i - start + 1)
print(best)
""", lambda r, s: word(r, r.randint(4, 9) if s else r.randint(10, 1000), "abcd" if s else "abcdefghij") + "\n",
    ["a\n", "aaaa\n", "abcdefghijklmnopqrstuvwxyz\n", "abba\n"])

problem("look_and_say", "medium", """
The look-and-say sequence starts with "1". Each next term describes the previous one by
reading off its blocks of equal digits: "1" is one 1, giving "11"; "11" is two 1s, giving
"21"; then "1211", "111221", and so on.

Input
One line with an integer n (1 <= n <= 20).

Output
Print the n-th term of the sequence (the first term is "1").
""", """
n = int(input())
term = "1"
for _ in range(n - 1):
    out = []
    i = 0
    while i < len(term):
        j = i
        while j < len(term) and term[j] == term[i]:
            j += 1
        out.append(str(j - i) + term[i])
        i = j
    term = "".join(out)
print(term)
""", lambda r, s: f"{r.randint(2, 6) if s else r.randint(7, 20)}\n",
    ["1\n", "20\n"])

problem("matrix_product", "medium", """
Multiply two matrices.

Input
The first line contains three integers n, m and p (1 <= n, m, p <= 10). The next n lines each
contain m integers: matrix A (n rows, m columns). The next m lines each contain p integers:
matrix B (m rows, p columns). All entries are between -100 and 100.

Output
Print the product A times B: n lines with p integers each, separated by spaces.
""", """
n, m, p = map(int, input().split())
a = [list(map(int, input().split())) for _ in range(n)]
b = [list(map(int, input().split())) for _ in range(m)]
for i in range(n):
    print(" ".join(str(sum(a[i][k] * b[k][j] for k in range(m))) for j in range(p)))
""", lambda r, s: (lambda n, m, p, hi: f"{n} {m} {p}\n" + "".join(join(ints(r, m, -hi, hi)) + "\n" for _ in range(n)) + "".join(join(ints(r, p, -hi, hi)) + "\n" for _ in range(m)))(*(ints(r, 3, 1, 3) + [5] if s else ints(r, 3, 1, 10) + [100])),
    ["1 1 1\n-100\n100\n", "2 1 2\n1\n2\n3 4\n"])

problem("fix_parentheses", "medium", """
Find the fewest parentheses that must be inserted into a string of '(' and ')' to make it
balanced (every '(' matched by a later ')', every ')' by an earlier '(').

Input
One line with a string of 1 to 1000 characters, each '(' or ')'.

Output
Print the minimum number of insertions.
""", """
open_count = 0
needed = 0
for c in input().strip():
    if c == "(":
        open_count += 1
    elif open_count:
        open_count -= 1
    else:
        needed += 1
print(needed + open_count)
""", lambda r, s: word(r, r.randint(2, 6) if s else r.randint(10, 1000), "()") + "\n",
    ["(\n", ")\n", "()\n", "))((\n"])
