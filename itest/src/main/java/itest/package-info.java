/** In-framework tests of the model; private. */
package itest;
