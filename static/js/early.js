/* Runs before the page is drawn: marks that JavaScript is on, so the stylesheet can fold the
 * navigation behind its menu button (without JavaScript it stays open). */
document.documentElement.classList.add("js");
